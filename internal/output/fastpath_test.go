package output

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSafePrefix puts every byte value at every position of a word among
// safe bytes: the prefix safePrefix vouches for must never contain a byte
// encoding/json escapes (or a non-ASCII one, which needs the UTF-8
// checks), and a string of safe bytes must be taken whole word by word.
func TestSafePrefix(t *testing.T) {
	for c := range 256 {
		for pos := range 24 {
			b := []byte(strings.Repeat("aZ09-_:/", 3))
			b[pos] = byte(c)
			s := string(b)
			n := safePrefix(s)
			for i := range n {
				if s[i] >= utf8.RuneSelf || !jsonSafe[s[i]] {
					t.Fatalf("byte %#x at %d: safePrefix %d covers byte %d (%#x)", c, pos, n, i, s[i])
				}
			}
			safe := c < utf8.RuneSelf && jsonSafe[c]
			if safe && n != len(s) {
				t.Errorf("byte %#x at %d: safePrefix %d, want %d", c, pos, n, len(s))
			}
		}
	}
}

// TestOptFloatMillis compares the fast path for durations with strconv's
// shortest formatting on durations of whole nanoseconds, as msSince makes
// them, and on values that are not.
func TestOptFloatMillis(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{1e-6, 0.5, 1, 2.1, 999999999.999999, 1e9 - 1, 0.000791, 0.1 + 0.2, math.Nextafter(1, 2), 1.0000005, 123.4567895}
	for range 200000 {
		ns := r.Int64N(int64(1e15))
		vals = append(vals, float64(ns)/1e6, float64(r.Int64N(1e7))/1e6, r.Float64()*1e6)
	}
	for _, f := range vals {
		got, ok := optFloat(nil, "", &f, true)
		want := strconv.AppendFloat(nil, f, 'f', -1, 64)
		if !ok || string(got) != string(want) {
			t.Fatalf("optFloat(%v) = %q, want %q", f, got, want)
		}
	}
}
