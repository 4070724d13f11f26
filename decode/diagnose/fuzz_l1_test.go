package diagnose

import (
	"strings"
	"testing"
)

// FuzzLastString: the offset reader never panics, and what it returns is
// a plain string that really is the array's last element.
func FuzzLastString(f *testing.F) {
	for _, s := range []string{`[1,"off"]`, `["off"]`, `[{"a":"b"},"x-1"] `, `[1]`, `["a\"b"]`, `"]`, `[",""]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := lastString(b)
		if !ok {
			return
		}
		if strings.ContainsAny(s, `"\`) || len(s) > 64 {
			t.Fatalf("lastString(%q) = %q", b, s)
		}
		trimmed := strings.TrimRight(string(b), " \n")
		if !strings.HasSuffix(trimmed, `"`+s+`"]`) {
			t.Fatalf("lastString(%q) = %q, not the last element", b, s)
		}
	})
}
