package stats

import (
	"math"
	"math/bits"
)

// Histogram counts non-negative integer values (microseconds, bytes) in
// log-linear buckets, as HDR histograms do: each power of two is split into
// subBuckets equal buckets, so any quantile read back is within 1/subBuckets
// (12.5%) of the true value, whatever the range, in a fixed 3 KiB.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    uint64
	min    uint64
	max    uint64
}

const (
	subBits    = 3
	subBuckets = 1 << subBits
	// Values up to 2^50 (35 years in microseconds, a petabyte) get their
	// own bucket; larger ones share the last.
	maxExp     = 50
	numBuckets = (maxExp-subBits+1)*subBuckets + subBuckets
)

// bucketOf returns the bucket index of v.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // >= subBits
	if exp > maxExp {
		return numBuckets - 1
	}
	sub := int(v>>(exp-subBits)) & (subBuckets - 1)
	return (exp-subBits+1)*subBuckets + sub
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	exp := i/subBuckets - 1 + subBits
	sub := uint64(i % subBuckets)
	step := uint64(1) << (exp - subBits)
	lo = (subBuckets + sub) << (exp - subBits)
	return lo, lo + step - 1
}

// Record adds one value.
func (h *Histogram) Record(v uint64) {
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Sum is the total of the values recorded.
func (h *Histogram) Sum() uint64 { return h.sum }

// Max is the largest value recorded, 0 if none.
func (h *Histogram) Max() uint64 { return h.max }

// Min is the smallest value recorded, 0 if none.
func (h *Histogram) Min() uint64 { return h.min }

// Quantile returns the q-quantile (0 ≤ q ≤ 1): the middle of the bucket
// holding it, clamped to the recorded min and max. 0 when empty.
func (h *Histogram) Quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i]
		if seen >= rank {
			lo, hi := bucketBounds(i)
			v := lo + (hi-lo)/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Bar is one bar of a coarse view of a histogram.
type Bar struct {
	Lo, Hi uint64 // values from Lo to Hi inclusive
	Count  uint64
}

// Bars folds the histogram into at most n bars of equal width on a log
// scale, from the smallest to the largest value recorded, for the small
// histograms the stats pane and the report draw.
func (h *Histogram) Bars(n int) []Bar {
	if h.n == 0 || n <= 0 {
		return nil
	}
	first, last := bucketOf(h.min), bucketOf(h.max)
	span := last - first + 1
	per := (span + n - 1) / n
	var out []Bar
	for i := first; i <= last; i += per {
		j := min(i+per-1, last)
		lo, _ := bucketBounds(i)
		_, hi := bucketBounds(j)
		b := Bar{Lo: max(lo, h.min), Hi: min(hi, h.max)}
		for k := i; k <= j; k++ {
			b.Count += h.counts[k]
		}
		out = append(out, b)
	}
	return out
}
