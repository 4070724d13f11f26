// Package gcpace keeps sioproxy's resident memory from following short
// bursts of live data or the runtime's guesses.
//
// The Go collector sets each cycle's heap goal to the heap it found live
// times 1 + GOGC/100 (5 at sioproxy's GOGC of 400). A headless proxy's
// steady live heap is small (about 13 MB in the soak benchmark), so data
// that is live only for a moment (a half-received 4 MiB WebSocket frame, a
// 1 MB event on its way to --json) multiplies into 20 MiB more heap goal
// whenever a cycle happens to find it, and RSS saw-tooths by ±25% with no
// growth at all.
//
// The pacer turns GOGC's trigger off and paces from 1 + GOGC/100 times the
// median live heap of the last few cycles rather than the latest one: a
// cycle that found a burst live does not grow the heap, and one that found
// less live than usual does not shrink it. A live heap that really grows
// (half of the allowance) resets the window at once, so the pacing follows
// it within a cycle and never starves the program; nothing goes above the
// budget's static limit.
//
// It starts each cycle itself (trigger.go), when the heap reaches that
// goal. Left to the runtime, the start moved with its estimate of how fast
// the program allocates while marking (the largest of the last few
// cycles'), anywhere from 70% to 95% of the way from the live heap to the
// goal: 46 to 63 MB in a 5-minute soak. The runtime's scavenger keeps only
// 110% of the heap in use when the last cycle ended, so every run of early
// starts returned 10–20 MiB to the OS for a few seconds, and RSS dipped
// 12% below its mean while nothing had changed. Started at the same heap
// each time, the heap the scavenger keeps is the same each time too. The
// soft memory limit (debug.SetMemoryLimit) stays as the backstop: set so
// that the runtime's own earliest start is past the pacer's, it starts a
// cycle only when a burst outruns the pacer's polling.
//
// In the terminal UI the event ring is most of the live heap, its goal is
// above the budget's limit, and the limit binds: by its bounds the runtime
// may start a cycle anywhere from 234 to 290 MiB of heap under the default
// 320 MiB limit, and the UI's RSS dipped like the headless one. There the
// pacer starts them a margin below the runtime's earliest start at that
// limit, which costs more, smaller cycles.
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

// margin is how much further from the live heap the runtime's earliest
// start is than the pacer's trigger: the pacer's start must come first.
const margin = 0.10

// earliestStart is how far from the live heap to its goal the runtime
// starts a cycle at the earliest (its trigger's lower bound, 70%).
const earliestStart = 0.7

// Floor is the lowest limit the pacer sets.
const Floor = 32 << 20

// heapMinimum is the runtime's smallest heap goal at GOGC 100.
const heapMinimum = 4 << 20

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

// Pace is what the pacer sets after a cycle.
type Pace struct {
	// Trigger is the heap (live at the last cycle plus allocated since)
	// at which the pacer starts the next cycle; 0: it does not start
	// cycles.
	Trigger int64
	// Limit is the runtime's soft memory limit: the backstop.
	Limit int64
}

// Pace records c and returns what to set until the next cycle.
func (p *Policy) Pace(c Cycle) Pace {
	if c.GOGC < 0 {
		return Pace{Limit: p.Ceiling}
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
	base := float64(p.base())
	// The runtime's own minimum heap (4 MB at GOGC 100), so that a
	// process that has hardly started does not collect back to back.
	heap := max(goal(p.base()), heapMinimum*g)
	nonheap := float64(c.NonHeap)
	// The backstop: a limit at which the runtime's earliest start is the
	// trigger plus the margin.
	limit := max(int64(nonheap+roomFor(base, heap)), Floor)
	trigger := heap
	if limit > p.Ceiling {
		// The budget binds (the terminal UI's ring is most of its live
		// heap): start below the runtime's earliest start at the ceiling.
		limit = p.Ceiling
		trigger = min(heap, base+(earliest(base, float64(limit)-nonheap)-base)/(1+margin))
	}
	if trigger <= base {
		return Pace{Limit: limit} // no room to pace in: the limit decides
	}
	return Pace{Trigger: int64(trigger), Limit: limit}
}

// runtimeHeadroom is the share of a soft limit the runtime keeps free
// (memoryLimitHeapGoalHeadroomPercent).
const runtimeHeadroom = 0.03

// earliest is the heap at which the runtime starts a cycle at the
// earliest, with a live heap of base and room for the heap under the
// limit.
func earliest(base, room float64) float64 {
	return base + earliestStart*(room*(1-runtimeHeadroom)-base)
}

// roomFor is the room under the limit at which the runtime's earliest
// start is the margin past trigger: earliest's inverse.
func roomFor(base, trigger float64) float64 {
	return (base + (trigger-base)*(1+margin)/earliestStart) / (1 - runtimeHeadroom)
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
	gogc    int                  // GOGC as it was set: the goal's multiplier
	last    atomic.Int64         // the limit set after the latest cycle
	mark    atomic.Pointer[mark] // what the watcher starts the next cycle from
	cycles  atomic.Uint64
	started atomic.Uint64 // cycles the pacer started (trigger.go)
	looks   atomic.Uint64 // times the watcher read the heap: tests wait on it
	done    chan struct{} // closed by Stop
	watched chan struct{} // closed when the watcher has returned
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
	allocsName,
	cyclesName,
}

// Start paces the collector from now on, never letting the limit above
// ceiling, until Stop. It turns GOGC's own trigger off (the pacer's and the
// limit are the only ones) and uses GOGC's value as the multiplier: a
// cycle that found less live than usual would otherwise lower the goal,
// and RSS dipped as the scavenger followed it. Nil if GOGC is off already.
func Start(ceiling int64) *Pacer {
	gogc := debug.SetGCPercent(-1)
	if gogc < 0 {
		return nil // GOGC=off: the user paces with GOMEMLIMIT alone
	}
	p := &Pacer{policy: Policy{Ceiling: ceiling}, gogc: gogc, done: make(chan struct{}), watched: make(chan struct{})}
	for _, n := range names {
		p.samples = append(p.samples, metrics.Sample{Name: n})
	}
	p.cycle() // a first limit now, from what the last collection found
	p.arm()
	go p.watch()
	return p
}

// Stop ends the pacing and puts GOGC and the static limit back. It
// returns once the watcher has.
func (p *Pacer) Stop() {
	p.mu.Lock()
	if p.stopped.Swap(true) {
		p.mu.Unlock()
		return
	}
	close(p.done)
	debug.SetMemoryLimit(p.policy.Ceiling)
	debug.SetGCPercent(p.gogc)
	p.mu.Unlock()
	<-p.watched
}

// SetCeiling changes the highest limit the pacer sets (the static limit
// grows with the open connections); it applies from the next cycle on, or
// at once when the last limit is above it. The trigger follows at the next
// cycle: until then a lowered limit starts cycles itself.
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

// Started counts the collections the pacer started itself.
func (p *Pacer) Started() uint64 { return p.started.Load() }

// Trigger is the heap at which the pacer starts the next collection, 0
// when it starts none.
func (p *Pacer) Trigger() int64 {
	if m := p.mark.Load(); m != nil {
		return int64(m.trigger)
	}
	return 0
}

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
	pc := p.policy.Pace(c)
	debug.SetMemoryLimit(pc.Limit)
	p.last.Store(pc.Limit)
	p.mark.Store(&mark{live: c.Live, allocs: u(8), cycles: u(9), trigger: uint64(max(pc.Trigger, 0))})
	p.cycles.Add(1)
}
