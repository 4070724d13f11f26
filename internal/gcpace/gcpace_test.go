package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

const mib = 1 << 20

// goal400 is the runtime's heap goal at GOGC 400 for a live heap.
func goal400(live, scan uint64) int64 { return int64(live + (live+scan)*4) }

// backstop is the limit the policy sets for a steady heap.
func backstop(live, nonheap uint64, heap int64) int64 {
	return int64(float64(nonheap) + roomFor(float64(live), float64(heap)))
}

// startsFirst: the trigger is past the live heap, and the runtime's
// earliest start e at least 5% further from it.
func startsFirst(live float64, trigger int64, e float64) bool {
	return float64(trigger) > live && e-live >= (float64(trigger)-live)*1.05
}

func TestPolicy(t *testing.T) {
	const scan, nonheap = 1 * mib, 20 * mib
	cyc := func(live uint64) Cycle { return Cycle{Live: live, Scan: scan, NonHeap: nonheap, GOGC: 400} }
	steady := func() *Policy {
		p := &Policy{Ceiling: 320 * mib}
		for range Window {
			p.Pace(cyc(10 * mib))
		}
		return p
	}
	base := steady().Pace(cyc(10 * mib))
	if want := (Pace{Trigger: goal400(10*mib, scan), Limit: backstop(10*mib, nonheap, goal400(10*mib, scan))}); base != want {
		t.Fatalf("steady pace %+v, want %+v", base, want)
	}
	// The runtime takes 3% off the limit for its own headroom and starts a
	// cycle at the earliest 70% of the way from the live heap to what is
	// left: that must be past the pacer's trigger, or the runtime's start
	// would move about again.
	if e := 10*mib + 0.7*(float64(base.Limit-nonheap)*0.97-10*mib); !startsFirst(10*mib, base.Trigger, e) {
		t.Fatalf("the runtime may start at %.1f MiB, too close to the trigger %.1f MiB", e/mib, float64(base.Trigger)/mib)
	}

	t.Run("a burst does not raise the pace", func(t *testing.T) {
		p := steady()
		// A cycle that found 5 MiB of a burst live: GOGC alone would let
		// the heap grow to 5× that too.
		if got := p.Pace(cyc(15 * mib)); got != base {
			t.Fatalf("pace %+v after a burst, want %+v as before it", got, base)
		}
		if got := p.Pace(cyc(10 * mib)); got != base {
			t.Fatalf("pace %+v after the burst, want %+v", got, base)
		}
	})
	t.Run("real growth is followed at once", func(t *testing.T) {
		p := steady()
		// Half the allowance (goal(10 MiB)/2 = 27 MiB) is live: not a burst.
		got := p.Pace(cyc(30 * mib))
		if want := goal400(30*mib, scan); got.Trigger != want || got.Limit != backstop(30*mib, nonheap, want) {
			t.Fatalf("pace %+v after the live heap tripled, want trigger %d (its own goal)", got, want)
		}
	})
	t.Run("a dip does not lower the pace", func(t *testing.T) {
		p := steady()
		if got := p.Pace(cyc(6 * mib)); got != base {
			t.Fatalf("pace %+v after a cycle found less live, want %+v", got, base)
		}
	})
	t.Run("slower growth within a window", func(t *testing.T) {
		p := steady()
		var got Pace
		for i := range Window {
			got = p.Pace(cyc(20 * mib))
			if i < Window/2 && got != base {
				t.Fatalf("cycle %d: pace %+v, want %+v while most of the window is older cycles", i, got, base)
			}
		}
		if want := goal400(20*mib, scan); got.Trigger != want {
			t.Fatalf("trigger %d after %d cycles at 20 MiB, want %d", got.Trigger, Window, want)
		}
	})
	t.Run("the budget binds", func(t *testing.T) {
		// The terminal UI: its ring is most of a 76 MiB live heap, and GOGC
		// 400 would want 384 MiB, above the 320 MiB ceiling. Left to the
		// runtime, a cycle may start anywhere from 234 to 290 MiB.
		p := &Policy{Ceiling: 320 * mib}
		var got Pace
		for range Window {
			got = p.Pace(Cycle{Live: 76 * mib, Scan: 1 * mib, NonHeap: 9 * mib, GOGC: 400})
		}
		e := 76*mib + 0.7*(311*mib*0.97-76*mib)
		if got.Limit != 320*mib || !startsFirst(76*mib, got.Trigger, e) {
			t.Fatalf("pace %+v: want the ceiling, and the trigger past the live heap and well before the runtime's earliest start %.1f MiB", got, e/mib)
		}
	})
	t.Run("bounds", func(t *testing.T) {
		p := &Policy{Ceiling: 100 * mib}
		got := p.Pace(cyc(50 * mib))
		// 80 MiB of room: the runtime starts at 69.3 MiB at the earliest.
		if e := 50*mib + 0.7*(80*mib*0.97-50*mib); got.Limit != 100*mib || !startsFirst(50*mib, got.Trigger, e) {
			t.Fatalf("pace %+v: want the ceiling, and the trigger past the live heap and well before %.1f MiB", got, e/mib)
		}
		// Too little room to pace in: the limit alone decides.
		p = &Policy{Ceiling: 60 * mib}
		if got := p.Pace(cyc(50 * mib)); got != (Pace{Limit: 60 * mib}) {
			t.Fatalf("pace %+v with 40 MiB of room for a 50 MiB live heap, want the ceiling and no trigger", got)
		}
		p = &Policy{Ceiling: 100 * mib}
		got = p.Pace(Cycle{Live: 1 << 10, GOGC: 400})
		if got.Limit != Floor || got.Trigger != 4*heapMinimum {
			t.Fatalf("pace %+v, want the floor %d and the runtime's minimum heap at GOGC 400", got, Floor)
		}
		if got := p.Pace(Cycle{Live: 1 << 10, GOGC: -1}); got != (Pace{Limit: 100 * mib}) {
			t.Fatalf("GOGC=off: pace %+v, want the ceiling and no trigger", got)
		}
	})
}

func TestPollWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		left uint64
		rate float64
		want time.Duration
	}{
		{"idle", 10 * mib, 0, maxPoll},
		{"far", 100 * mib, 1 * mib, maxPoll},
		{"half the time to go", 10 * mib, 100 * mib, 50 * time.Millisecond},
		{"close", 1 << 10, 100 * mib, minPoll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pollWait(tc.left, tc.rate); got != tc.want {
				t.Fatalf("pollWait(%d, %.0f) = %v, want %v", tc.left, tc.rate, got, tc.want)
			}
		})
	}
}

func TestMarkHeapAt(t *testing.T) {
	m := &mark{live: 10 * mib, allocs: 100 * mib}
	if got := m.heapAt(130 * mib); got != 40*mib {
		t.Fatalf("heap %d, want live + allocated since = %d", got, 40*mib)
	}
	// The counter is read apart from the mark: never wrap below it.
	if got := m.heapAt(99 * mib); got != 10*mib {
		t.Fatalf("heap %d with the counter behind the mark, want the live heap", got)
	}
}

// waitCycles collects until the pacer has seen n more cycles.
func waitCycles(t *testing.T, p *Pacer, n uint64) {
	t.Helper()
	want := p.Cycles() + n
	deadline := time.Now().Add(30 * time.Second)
	for p.Cycles() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the pacer saw %d cycles, want %d", p.Cycles(), want)
		}
		runtime.GC()
		time.Sleep(time.Millisecond) // the finalizer goroutine runs
	}
}

var keep [][]byte

// The pacer sets the runtime's limit after each collection, a burst live
// during one does not raise it, and Stop puts GOGC and the static limit
// back.
func TestPacerSetsLimit(t *testing.T) {
	old := debug.SetGCPercent(400)
	defer debug.SetGCPercent(old)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	keep = [][]byte{make([]byte, 40*mib)} // a steady live heap
	defer func() { keep = nil }()
	const ceiling = 1 << 30
	p := Start(ceiling)
	defer p.Stop()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GOGC %d while pacing, want off (the limit is the trigger)", got)
	}
	waitCycles(t, p, Window+1)
	steady := p.LastLimit()
	if got := debug.SetMemoryLimit(-1); got != steady || steady <= 40*mib || steady >= ceiling {
		t.Fatalf("runtime limit %d, pacer's %d: want it set between the live heap and the ceiling", got, steady)
	}
	keep = append(keep, make([]byte, 8*mib)) // a burst
	waitCycles(t, p, 1)
	burst := p.LastLimit()
	keep = keep[:1]
	// GOGC 400 alone would raise the goal by 5 × 8 MiB.
	if burst > steady+2*mib {
		t.Fatalf("limit %d MiB during the burst, %d MiB before: the burst raised it", burst/mib, steady/mib)
	}
	p.Stop()
	if got := debug.SetMemoryLimit(-1); got != ceiling {
		t.Fatalf("limit %d after Stop, want the ceiling %d", got, int64(ceiling))
	}
	if got := debug.SetGCPercent(400); got != 400 {
		t.Fatalf("GOGC %d after Stop, want 400 back", got)
	}
	n := p.Cycles()
	runtime.GC()
	runtime.GC()
	if p.Cycles() != n {
		t.Fatal("the pacer still ran after Stop")
	}
}

// With GOGC off there is nothing to pace.
func TestPacerLeavesGOGCOff(t *testing.T) {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	if p := Start(1 << 30); p != nil {
		p.Stop()
		t.Fatal("a pacer started with GOGC off")
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GOGC %d, want it left off", got)
	}
}

func TestSetCeiling(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	debug.SetGCPercent(400)
	p := Start(1 << 40)
	if p == nil {
		t.Fatal("Start returned nil with GOGC on")
	}
	defer p.Stop()
	runtime.GC()
	// A ceiling below the last limit applies at once, not a cycle later.
	// The pacer never sets less than Floor itself, so below it only
	// SetCeiling can have put the limit.
	p.SetCeiling(Floor / 2)
	if got := debug.SetMemoryLimit(-1); got > Floor/2 {
		t.Fatalf("memory limit %d after SetCeiling(%d)", got, Floor/2)
	}
	// Raised again (connections opened), the next cycle may use the room.
	p.SetCeiling(1 << 40)
	before := p.Cycles()
	for p.Cycles() == before {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := p.LastLimit(); got <= 0 || got > 1<<40 {
		t.Fatalf("limit %d after the ceiling was raised", got)
	}
	p.Stop()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("Stop left the limit at %d, want the current ceiling %d", got, int64(1<<40))
	}
}

var sink []byte

// The pacer starts collections itself once the heap reaches its trigger,
// and none while the heap does not grow: the garbage a cycle leaves
// unswept is not counted as heap again.
func TestPacerStartsCycles(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	keep = [][]byte{make([]byte, 8*mib)}
	defer func() { keep = nil }()
	p := Start(1 << 30)
	defer p.Stop()
	runtime.GC() // a mark to start from
	waitCycles(t, p, 1)
	deadline := time.Now().Add(30 * time.Second)
	// Allocate at a pace the watcher can follow on a busy machine (about
	// 256 MB/s at most), until it has started three cycles.
	for p.Started() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the pacer started %d cycles of %d, want 3: trigger %d MiB", p.Started(), p.Cycles(), p.Trigger()/mib)
		}
		for range 4 {
			sink = make([]byte, 64<<10)
		}
		time.Sleep(time.Millisecond)
	}
	// Idle: the heap does not grow, so nothing may start a cycle while the
	// watcher looks at it three more times.
	before, looks := p.Started(), p.looks.Load()
	deadline = time.Now().Add(30 * time.Second)
	for p.looks.Load() < looks+3 {
		if time.Now().After(deadline) {
			t.Fatalf("the watcher looked %d times in 30 s", p.looks.Load()-looks)
		}
		time.Sleep(time.Millisecond)
	}
	if got := p.Started(); got != before {
		t.Fatalf("the pacer started %d cycles while nothing was allocated", got-before)
	}
	p.Stop()
	n := p.Started()
	for range 64 {
		sink = make([]byte, 1*mib)
	}
	if p.Started() != n {
		t.Fatal("the pacer started a cycle after Stop")
	}
}
