// Package gcpace keeps a headless sioproxy's resident memory from
// following short bursts of live data.
//
// The Go collector sets each cycle's heap goal to the heap it found live
// times 1 + GOGC/100 (5 at sioproxy's GOGC of 400). A headless proxy's
// steady live heap is small (about 10 MB in the soak benchmark), so data
// that is live only for a moment (a half-received 4 MiB WebSocket frame, a
// 1 MB event on its way to --json) multiplies into 20 MiB more heap goal
// whenever a cycle happens to find it, and RSS saw-tooths by ±25% with no
// growth at all.
//
// The pacer turns GOGC's trigger off and sets a soft memory limit
// (debug.SetMemoryLimit) after every cycle instead: 1 + GOGC/100 times the
// median live heap of the last few cycles rather than the latest one. A
// burst then makes the collector run sooner, instead of letting the heap
// grow five times the burst, and a cycle that found less live than usual
// does not shrink the heap either. It holds no memory: the
// trade is some more collector work while a burst is live. A live heap
// that really grows (half of the allowance) resets the window at once, so
// the limit follows it within a cycle and never starves the program; and
// the limit never goes above the budget's static one.
//
// What the limit does not hold: after a burst allocated during a mark
// phase, the runtime's own pacer starts the next few cycles (its cons/mark
// estimate is the maximum of the last five) as early as it may, 70% of the
// way from the marked heap to the goal instead of about 95%, and its
// scavenger keeps only 110% of the heap in use at the last cycle's end,
// GOGC off or not. RSS then dips by about 10 MiB for a few seconds while
// the limit stays where it was (the soak's -memstats shows both).
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
)

// Window is how many cycles' live heaps the base is the median of.
const Window = 8

// margin is the share added to the limit above the steady heap goal, so
// that it binds only when a burst is live and GOGC paces the rest.
const margin = 0.05

// Floor is the lowest limit the pacer sets.
const Floor = 32 << 20

// Policy is the pacer's arithmetic, apart from the runtime.
type Policy struct {
	Ceiling int64 // the static limit (membudget.Budget.RuntimeLimit)
	lives   [Window]uint64
	n, next int
}

// Cycle is what the runtime reports after one collection.
type Cycle struct {
	Live    uint64 // heap marked live
	Scan    uint64 // stacks and globals the collector scans (part of the goal)
	NonHeap uint64 // runtime memory other than the heap (stacks, metadata…)
	GOGC    int
}

// Limit records c and returns the memory limit to set.
func (p *Policy) Limit(c Cycle) int64 {
	if c.GOGC < 0 {
		return p.Ceiling
	}
	g := float64(c.GOGC) / 100
	goal := func(live uint64) float64 { return float64(live) + float64(live+c.Scan)*g }
	if p.n > 0 && float64(c.Live) >= goal(p.base())/2 {
		// Not a burst: the live heap grew. Follow it now.
		p.n, p.next = 0, 0
	}
	p.lives[p.next] = c.Live
	p.next = (p.next + 1) % Window
	p.n = min(p.n+1, Window)
	limit := int64(float64(c.NonHeap) + goal(p.base())*(1+margin))
	return min(max(limit, Floor), p.Ceiling)
}

// base is the median live heap in the window (the lower one of an even
// count): a cycle that found a burst live does not raise it, and one that
// ran just after a burst was freed does not lower it (RSS dipped when the
// scavenger followed a low limit).
func (p *Policy) base() uint64 {
	var v [Window]uint64
	s := v[:p.n]
	copy(s, p.lives[:p.n])
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// Pacer applies a Policy after every collection.
type Pacer struct {
	mu      sync.Mutex
	policy  Policy
	stopped atomic.Bool
	samples []metrics.Sample
	gogc    int          // GOGC as it was set: the goal's multiplier
	last    atomic.Int64 // the limit set after the latest cycle
	cycles  atomic.Uint64
}

var names = []string{
	"/gc/heap/live:bytes",
	"/gc/scan/stack:bytes",
	"/gc/scan/globals:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
}

// Start paces the collector from now on, never letting the limit above
// ceiling, until Stop. It turns GOGC's own trigger off (the limit is the
// only one) and uses GOGC's value as the multiplier: a cycle that found
// less live than usual would otherwise lower the goal, and RSS dipped as
// the scavenger followed it. Nil if GOGC is off already.
func Start(ceiling int64) *Pacer {
	gogc := debug.SetGCPercent(-1)
	if gogc < 0 {
		return nil // GOGC=off: the user paces with GOMEMLIMIT alone
	}
	p := &Pacer{policy: Policy{Ceiling: ceiling}, gogc: gogc}
	for _, n := range names {
		p.samples = append(p.samples, metrics.Sample{Name: n})
	}
	p.cycle() // a first limit now, from what the last collection found
	p.arm()
	return p
}

// Stop ends the pacing and puts GOGC and the static limit back.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped.Swap(true) {
		return
	}
	debug.SetMemoryLimit(p.policy.Ceiling)
	debug.SetGCPercent(p.gogc)
}

// SetCeiling changes the highest limit the pacer sets (the static limit
// grows with the open connections); it applies from the next cycle on, or
// at once when the last limit is above it.
func (p *Pacer) SetCeiling(c int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped.Load() || c == p.policy.Ceiling {
		return
	}
	p.policy.Ceiling = c
	if last := p.last.Load(); last > c {
		debug.SetMemoryLimit(c)
		p.last.Store(c)
	}
}

// LastLimit is the limit set after the latest collection, 0 before the
// first one.
func (p *Pacer) LastLimit() int64 { return p.last.Load() }

// Cycles counts the collections the pacer has seen.
func (p *Pacer) Cycles() uint64 { return p.cycles.Load() }

// sentinel is garbage the moment it is armed: its finalizer runs once
// after the next collection and arms the next one. The pointer keeps it
// out of the tiny allocator, whose blocks may never be freed.
type sentinel struct{ p *Pacer }

func (p *Pacer) arm() {
	runtime.SetFinalizer(&sentinel{p}, func(*sentinel) {
		if p.stopped.Load() {
			return
		}
		p.cycle()
		p.arm()
	})
}

func (p *Pacer) cycle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	metrics.Read(p.samples)
	u := func(i int) uint64 {
		if p.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return p.samples[i].Value.Uint64()
	}
	heap := u(5) + u(6) + u(7)
	total := u(3) - u(4)
	c := Cycle{Live: u(0), Scan: u(1) + u(2), GOGC: p.gogc, NonHeap: total - min(total, heap)}
	if p.stopped.Load() {
		return
	}
	l := p.policy.Limit(c)
	debug.SetMemoryLimit(l)
	p.last.Store(l)
	p.cycles.Add(1)
}
