package output

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestTSCacheMatchesAppendTime checks the cached time text is appendTime's
// byte for byte: runs of events within a second, fractions with trailing
// zeros or none, zones, DST changes and years appendTime refuses.
func TestTSCacheMatchesAppendTime(t *testing.T) {
	locs := []*time.Location{time.UTC, time.Local, time.FixedZone("", -(3*3600 + 30*60)), time.FixedZone("X", 5*3600+45*60)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		locs = append(locs, ny)
	}
	base := []time.Time{
		time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC),
		time.Date(2026, 3, 8, 6, 59, 59, 999_999_999, time.UTC), // New York's spring forward at 07:00 UTC
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 100, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var c tsCache
	for _, b := range base {
		for _, loc := range locs {
			tm := b.In(loc)
			for i := 0; i < 200; i++ {
				switch r.IntN(4) {
				case 0:
					tm = tm.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
				case 1:
					tm = tm.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
				case 2:
					tm = tm.Add(time.Duration(r.Int64N(int64(time.Second))))
				default:
					tm = tm.Add(time.Duration(r.IntN(3)) * time.Second) // whole seconds: a fraction of zero stays zero
				}
				if i == 100 {
					tm = tm.Round(0).In(time.Local).In(loc) // same instant, zone re-read
				}
				want, wok := appendTime([]byte("x"), tm, true)
				got, gok := c.append([]byte("x"), tm, true)
				if string(got) != string(want) || gok != wok {
					t.Fatalf("%v: cached %q %v, appendTime %q %v", tm, got, gok, want, wok)
				}
			}
		}
	}
}

func BenchmarkTSCache(b *testing.B) {
	var c tsCache
	tm := time.Now()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, _ = c.append(buf[:0], tm.Add(time.Duration(i)*time.Microsecond), true)
	}
}

func BenchmarkAppendTime(b *testing.B) {
	tm := time.Now()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, _ = appendTime(buf[:0], tm.Add(time.Duration(i)*time.Microsecond), true)
	}
}
