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

func TestPolicy(t *testing.T) {
	const scan, nonheap = 1 * mib, 20 * mib
	cyc := func(live uint64) Cycle { return Cycle{Live: live, Scan: scan, NonHeap: nonheap, GOGC: 400} }
	steady := func() *Policy {
		p := &Policy{Ceiling: 320 * mib}
		for range Window {
			p.Limit(cyc(10 * mib))
		}
		return p
	}
	base := steady().Limit(cyc(10 * mib))
	if want := int64(nonheap + float64(goal400(10*mib, scan))*(1+margin)); base != want {
		t.Fatalf("steady limit %d, want %d", base, want)
	}

	t.Run("a burst does not raise the limit", func(t *testing.T) {
		p := steady()
		// A cycle that found 5 MiB of a burst live: GOGC alone would let
		// the heap grow to 5× that too.
		got := p.Limit(cyc(15 * mib))
		if got != base {
			t.Fatalf("limit %d after a burst, want %d as before it", got, base)
		}
		if gogc := nonheap + goal400(15*mib, scan); got >= gogc-15*mib {
			t.Fatalf("limit %d does not cut the burst's heap goal %d", got, gogc)
		}
		if got := p.Limit(cyc(10 * mib)); got != base {
			t.Fatalf("limit %d after the burst, want %d", got, base)
		}
	})
	t.Run("real growth is followed at once", func(t *testing.T) {
		p := steady()
		// Half the allowance (goal(10 MiB)/2 = 27 MiB) is live: not a burst.
		got := p.Limit(cyc(30 * mib))
		if want := int64(nonheap + float64(goal400(30*mib, scan))*(1+margin)); got != want {
			t.Fatalf("limit %d after the live heap tripled, want %d (its own goal)", got, want)
		}
	})
	t.Run("a dip does not lower the limit", func(t *testing.T) {
		p := steady()
		if got := p.Limit(cyc(6 * mib)); got != base {
			t.Fatalf("limit %d after a cycle found less live, want %d", got, base)
		}
	})
	t.Run("slower growth within a window", func(t *testing.T) {
		p := steady()
		var got int64
		for i := range Window {
			got = p.Limit(cyc(20 * mib))
			if i < Window/2 && got != base {
				t.Fatalf("cycle %d: limit %d, want %d while most of the window is older cycles", i, got, base)
			}
		}
		if want := int64(nonheap + float64(goal400(20*mib, scan))*(1+margin)); got != want {
			t.Fatalf("limit %d after %d cycles at 20 MiB, want %d", got, Window, want)
		}
	})
	t.Run("bounds", func(t *testing.T) {
		p := &Policy{Ceiling: 100 * mib}
		if got := p.Limit(cyc(50 * mib)); got != 100*mib {
			t.Fatalf("limit %d above the ceiling", got)
		}
		p = &Policy{Ceiling: 100 * mib}
		if got := p.Limit(Cycle{Live: 1 << 10, GOGC: 400}); got != Floor {
			t.Fatalf("limit %d, want the floor %d", got, Floor)
		}
		if got := p.Limit(Cycle{Live: 1 << 10, GOGC: -1}); got != 100*mib {
			t.Fatalf("GOGC=off: limit %d, want the ceiling", got)
		}
	})
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
