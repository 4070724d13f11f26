package membudget

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"256MiB", 256 << 20, ""},
		{"256M", 256 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"1.5g", 3 << 29, ""},
		{"300MB", 300e6, ""},
		{"33554432", 32 << 20, ""},
		{" 64 mib ", 64 << 20, ""},
		{"", 0, "want a size"},
		{"MiB", 0, "want a size"},
		{"12 apples", 0, `unknown unit "apples"`},
		{"1.2.3M", 0, "is not a number"},
		{"8MiB", 0, "below the minimum of 16 MiB"},
		{"9999999TB", 0, "unknown unit"},
		{"99999999999GiB", 0, "too large"},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("Parse(%q) err = %v, want %q naming the value", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestSharesFitTheBudget(t *testing.T) {
	for _, total := range []int64{Min, Default, 1 << 30} {
		b := New(total)
		tui := b.ObsQueue() + b.RecQueue() + b.CacheQueue() + b.Cache() + b.Events() + b.View() + b.Reassembly()
		headless := b.ObsQueue() + b.RecQueue() + b.Output() + b.Reassembly()
		if tui > total || headless > total {
			t.Errorf("budget %d: shares add up to %d (TUI), %d (headless)", total, tui, headless)
		}
		if pe := int64(b.PerEvent()); pe*16 > b.View() {
			t.Errorf("budget %d: per-event %d leaves room for fewer than 16 events in view", total, pe)
		}
	}
	if New(0).Total != Default {
		t.Fatal("zero budget is not the default")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{900: "900 B", 1 << 10: "1 KiB", 256 << 20: "256 MiB", 3 << 29: "1.5 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPool(t *testing.T) {
	p := NewPool(1000)
	var frees atomic.Int32
	p.freeOS = func() { frees.Add(1) }
	p.ReclaimAfter = 900
	if !p.Reserve(600) || p.Reserve(500) || !p.Reserve(400) {
		t.Fatal("reservations around the limit")
	}
	if p.Used() != 1000 || p.Refused() != 1 {
		t.Fatalf("used %d refused %d", p.Used(), p.Refused())
	}
	p.Release(600)
	p.Release(400)
	if p.Used() != 0 {
		t.Fatalf("used %d after releasing all", p.Used())
	}
	// A use past ReclaimAfter, then given back, hands memory to the OS.
	for i := 0; frees.Load() == 0; i++ {
		if i > 1e7 {
			t.Fatal("no reclaim after releasing 1000 bytes")
		}
		runtime.Gosched()
	}
	// Churn well below ReclaimAfter does not (no reclaim is ever started).
	c := NewPool(1000)
	c.ReclaimAfter = 900
	c.freeOS = func() { t.Error("reclaim for churn below ReclaimAfter") }
	for i := 0; i < 100; i++ {
		c.Reserve(300)
		c.Release(300)
	}
	if c.reclaim.Load() {
		t.Fatal("reclaim started for churn below ReclaimAfter")
	}
	var nilPool *Pool
	if !nilPool.Reserve(1 << 40) {
		t.Fatal("a nil pool refuses")
	}
	// Concurrent use never exceeds the limit.
	q := NewPool(1 << 20)
	q.ReclaimAfter = -1
	var wg sync.WaitGroup
	var peak atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if q.Reserve(100 << 10) {
					if u := q.Used(); u > peak.Load() {
						peak.Store(u)
					}
					q.Release(100 << 10)
				}
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 1<<20 || q.Used() != 0 {
		t.Fatalf("peak %d, left %d", peak.Load(), q.Used())
	}
}

// FuzzParse: any text is a size of at least Min or an error naming it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"256MiB", "1.5g", "300MB", "", "12 apples", "1e9", "-5M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("error %q does not name the value %q", err, s)
			}
			return
		}
		if n < Min || n > 1<<50 {
			t.Fatalf("Parse(%q) = %d out of range", s, n)
		}
	})
}

func TestRuntimeLimitFor(t *testing.T) {
	b := Budget{Total: 256 << 20}
	for _, tc := range []struct {
		name  string
		conns int64
		want  int64
	}{
		{"none", 0, b.RuntimeLimit()},
		{"negative is none", -5, b.RuntimeLimit()},
		{"ten thousand", 10000, b.RuntimeLimit() + 10000*PerConn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.RuntimeLimitFor(tc.conns); got != tc.want {
				t.Fatalf("RuntimeLimitFor(%d) = %d, want %d", tc.conns, got, tc.want)
			}
		})
	}
}
