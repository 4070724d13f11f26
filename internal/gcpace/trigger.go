package gcpace

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

const (
	allocsName = "/gc/heap/allocs:bytes"
	cyclesName = "/gc/cycles/total:gc-cycles"
)

// How often the watcher looks at the heap: half the time the latest
// allocation rate takes to reach the trigger, within these bounds. At the
// soak's 24 MB/s that is about 15 looks a cycle; idle, 4 a second.
const (
	minPoll = time.Millisecond
	maxPoll = 250 * time.Millisecond
)

// startedAll counts the collections every pacer started, for WriteStats.
var startedAll atomic.Uint64

// mark is what the latest cycle left for the watcher: the heap then (its
// live part: the runtime frees the rest as it sweeps) and the allocation
// counter, so that the heap now is live + allocated since, the measure the
// runtime's own trigger uses. Counting allocated-and-unswept objects
// instead would see the last cycle's garbage and start another at once.
type mark struct {
	live, allocs, cycles, trigger uint64
}

// heapAt is the heap when the allocation counter reads allocs.
func (m *mark) heapAt(allocs uint64) uint64 { return m.live + allocs - min(allocs, m.allocs) }

// pollWait is how long the watcher sleeps with left bytes to go at rate
// bytes a second.
func pollWait(left uint64, rate float64) time.Duration {
	if rate <= 0 {
		return maxPoll
	}
	d := time.Duration(float64(left) / rate / 2 * float64(time.Second))
	return min(max(d, minPoll), maxPoll)
}

// watch is the goroutine "gcpace watcher": it starts a collection when the
// heap reaches the trigger, until Stop.
func (p *Pacer) watch() {
	defer close(p.watched)
	s := []metrics.Sample{{Name: allocsName}, {Name: cyclesName}}
	var lastAllocs uint64
	var lastAt time.Time
	var rate float64
	t := time.NewTimer(minPoll)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		metrics.Read(s)
		p.looks.Add(1)
		allocs, cycles := s[0].Value.Uint64(), s[1].Value.Uint64()
		now := time.Now()
		if !lastAt.IsZero() && allocs >= lastAllocs {
			rate = float64(allocs-lastAllocs) / now.Sub(lastAt).Seconds()
		}
		lastAllocs, lastAt = allocs, now
		wait := maxPoll
		switch m := p.mark.Load(); {
		case m == nil || m.trigger == 0:
		case cycles != m.cycles:
			// A cycle ended and its finalizer has yet to record it.
			wait = minPoll
		case m.heapAt(allocs) >= m.trigger:
			if p.stopped.Load() {
				return
			}
			p.started.Add(1)
			startedAll.Add(1)
			runtime.GC()
			wait = minPoll
		default:
			wait = pollWait(m.trigger-m.heapAt(allocs), rate)
		}
		t.Reset(wait)
	}
}
