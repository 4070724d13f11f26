package stats

import "time"

// Series sums values into fixed time slots, keeping the last n: packets/s
// and bytes/s over the last minutes, in fixed memory. Time is the events'
// own (recorded time in a replay), so a replay draws what happened live.
type Series struct {
	width int64 // slot width in seconds
	stamp []int64
	val   []float64
}

// NewSeries keeps n slots of width each (rounded to whole seconds).
func NewSeries(n int, width time.Duration) *Series {
	w := int64(width / time.Second)
	if w < 1 {
		w = 1
	}
	return &Series{width: w, stamp: make([]int64, n), val: make([]float64, n)}
}

// Add adds v to the slot holding t.
func (s *Series) Add(t time.Time, v float64) {
	slot := t.Unix() / s.width
	i := int(slot % int64(len(s.stamp)))
	if i < 0 {
		i += len(s.stamp)
	}
	if s.stamp[i] != slot {
		if s.stamp[i] > slot {
			return // older than what the slot now holds: out of the window
		}
		s.stamp[i], s.val[i] = slot, 0
	}
	s.val[i] += v
}

// Width is the slot width.
func (s *Series) Width() time.Duration { return time.Duration(s.width) * time.Second }

// Values returns the slots ending with the one holding now, oldest first,
// each divided by the slot width: a rate per second.
func (s *Series) Values(now time.Time) []float64 {
	n := len(s.stamp)
	out := make([]float64, n)
	end := now.Unix() / s.width
	for k := range n {
		slot := end - int64(n-1-k)
		i := int(slot % int64(n))
		if i < 0 {
			i += n
		}
		if s.stamp[i] == slot {
			out[k] = s.val[i] / float64(s.width)
		}
	}
	return out
}

// Sum is the total over the window ending at now.
func (s *Series) Sum(now time.Time) float64 {
	var t float64
	for _, v := range s.Values(now) {
		t += v
	}
	return t * float64(s.width)
}
