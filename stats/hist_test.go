package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketBoundsCoverEveryValue(t *testing.T) {
	prevHi := uint64(0)
	for i := range numBuckets - 1 {
		lo, hi := bucketBounds(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d,%d]: bucketOf gives %d and %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = hi
	}
	if got := bucketOf(^uint64(0)); got != numBuckets-1 {
		t.Fatalf("max uint64 in bucket %d, want the last (%d)", got, numBuckets-1)
	}
}

func TestQuantileWithinBucketError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func() uint64
	}{
		{"uniform 0-1000", func() uint64 { return r.Uint64N(1001) }},
		{"exp-ish µs", func() uint64 { return uint64(r.ExpFloat64() * 20000) }},
		{"constant", func() uint64 { return 4242 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			vals := make([]uint64, 20000)
			for i := range vals {
				vals[i] = tc.gen()
				h.Record(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.99} {
				exact := vals[int(q*float64(len(vals)))-1]
				got := h.Quantile(q)
				if diff := float64(got) - float64(exact); diff > float64(exact)/8+1 || -diff > float64(exact)/8+1 {
					t.Errorf("p%v = %d, exact %d: more than 12.5%% off", q*100, got, exact)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Count() != uint64(len(vals)) {
				t.Errorf("min/max/count = %d/%d/%d, want %d/%d/%d", h.Min(), h.Max(), h.Count(), vals[0], vals[len(vals)-1], len(vals))
			}
		})
	}
}

func TestBarsSumToCount(t *testing.T) {
	var h Histogram
	for v := range uint64(5000) {
		h.Record(v * 7)
	}
	bars := h.Bars(12)
	if len(bars) == 0 || len(bars) > 12 {
		t.Fatalf("%d bars, want 1 to 12", len(bars))
	}
	var n uint64
	for _, b := range bars {
		n += b.Count
	}
	if n != h.Count() {
		t.Fatalf("bars hold %d values, histogram %d", n, h.Count())
	}
	if bars[0].Lo != 0 || bars[len(bars)-1].Hi != h.Max() {
		t.Fatalf("bars span %d..%d, want 0..%d", bars[0].Lo, bars[len(bars)-1].Hi, h.Max())
	}
	var empty Histogram
	if empty.Bars(10) != nil || empty.Quantile(0.5) != 0 {
		t.Fatal("an empty histogram has no bars and quantile 0")
	}
}
