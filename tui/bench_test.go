package tui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sioproxy/sioproxy/internal/event"
)

// synthSource hands out perTick synthetic packet events per call, as a
// proxy at 20,000 packets/s would fill the bus between 100 ms ticks. The
// events share their payload slices, so the benchmark measures the model,
// not the generator.
type synthSource struct {
	pool    []event.Event
	seq     uint64
	perTick int
	now     time.Time
}

func newSynthSource(perTick int) *synthSource {
	s := &synthSource{perTick: perTick, now: t0}
	names := []string{"chat", "move", "state", "typing"}
	for i := 0; i < 64; i++ {
		ev := pkt(0, fmt.Sprintf("sid%04d", i%16), []string{"c2s", "s2c"}[i%2], "websocket", "message", "EVENT", "/", names[i%4],
			fmt.Sprintf(`[{"x":%d,"y":%d,"text":"the quick brown fox jumps over the lazy dog"}]`, i, i*7))
		ev.Raw = []byte("42" + string(ev.Args))
		if i%8 == 0 {
			ev.ID = id(int64(i))
		}
		s.pool = append(s.pool, ev)
	}
	return s
}

func (s *synthSource) Events(dst []event.Event, after uint64, max int) ([]event.Event, uint64, uint64) {
	n := min(s.perTick, max)
	step := tickEvery / time.Duration(n)
	for i := 0; i < n; i++ {
		ev := s.pool[int(s.seq)%len(s.pool)]
		ev.TS = s.now.Add(time.Duration(i) * step)
		s.seq++
		dst = append(dst, ev)
	}
	s.now = s.now.Add(tickEvery)
	return dst, s.seq, 0
}
func (s *synthSource) Sessions() []SessionRow { return nil }
func (s *synthSource) Stats() Stats           { return Stats{Listen: ":8080", Target: "http://localhost:3000"} }

func newBenchModel(src *synthSource, capacity int) *Model {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(Options{Source: src, Capacity: capacity, NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	return m
}

// frame is one 100 ms tick at 20,000 packets/s followed by a render.
func frame(m *Model, src *synthSource) string {
	m.Update(tickMsg{now: src.now})
	return m.View()
}

// BenchmarkIngest20kPerSecond measures one tick (2,000 packets) plus the
// frame it dirties; ns/op is the time per frame. A keypress waits for at
// most one such frame, so it must stay far below 100 ms.
func BenchmarkIngest20kPerSecond(b *testing.B) {
	src := newSynthSource(2000)
	m := newBenchModel(src, defaultCapacity)
	for i := 0; i < 10; i++ { // fill the ring first: steady state is what matters
		frame(m, src)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		frame(m, src)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heapMB-after")
	b.ReportMetric(float64(before.HeapAlloc)/(1<<20), "heapMB-filled")
	b.ReportMetric(float64(m.store.evicted), "evicted")
}

// BenchmarkKeyFrame is a keypress and its frame with a full ring.
func BenchmarkKeyFrame(b *testing.B) {
	src := newSynthSource(2000)
	m := newBenchModel(src, defaultCapacity)
	for i := 0; i < 10; i++ {
		frame(m, src)
	}
	keys := []tea.KeyMsg{keyMsg("up"), keyMsg("down")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Update(keys[i%2])
		m.View()
	}
}

// TestMemoryFlatAfterRingFills ingests ten more ring-fulls after the ring
// is full and checks the live heap grew by less than a quarter; without
// the bound it would grow tenfold.
func TestMemoryFlatAfterRingFills(t *testing.T) {
	src := newSynthSource(2000)
	m := newBenchModel(src, defaultCapacity)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for i := 0; i < 10; i++ { // 20,000 packets: the 10,000 ring is full
		frame(m, src)
	}
	filled := heap()
	for i := 0; i < 50; i++ { // 100,000 more
		frame(m, src)
	}
	later := heap()
	if m.view.len() != defaultCapacity || m.store.evicted < 100000 {
		t.Fatalf("view %d rows, evicted %d", m.view.len(), m.store.evicted)
	}
	if ratio := float64(later) / float64(filled); ratio > 1.25 {
		t.Fatalf("heap grew from %d to %d bytes (×%.2f) after the ring filled", filled, later, ratio)
	}
	if cap(m.view.s) > 3*defaultCapacity {
		t.Fatalf("view index grew to %d", cap(m.view.s))
	}
	runtime.KeepAlive(m)
}
