package stats

import (
	"fmt"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// BenchmarkObserve is the analyzer's cost per event: a mix of EVENTs with
// and without acks, their ACKs and heartbeats over 100 sessions.
func BenchmarkObserve(b *testing.B) {
	c := New(Options{})
	evs := make([]event.Event, 0, 4096)
	for s := range 100 {
		evs = append(evs, open(fmt.Sprintf("S%03d", s), fmt.Sprintf("10.0.0.%d:4000", s), 0))
	}
	rtt := 3.0
	for i := range 4000 {
		sid := fmt.Sprintf("S%03d", i%100)
		ms := i
		switch i % 4 {
		case 0:
			evs = append(evs, emit(sid, "c2s", fmt.Sprintf("name%d", i%20), id(int64(i)), 120, ms))
		case 1:
			evs = append(evs, ack(sid, "s2c", int64(i-1), ms))
		case 2:
			evs = append(evs, emit(sid, "s2c", "update", nil, 300, ms))
		case 3:
			evs = append(evs, event.Event{TS: at(ms), Kind: event.KindPacket, Sid: sid, Dir: "c2s", Engine: "pong", RTTMs: &rtt, Size: 1})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ev := &evs[100+i%(len(evs)-100)]
		ev.TS = t0.Add(time.Duration(i) * time.Microsecond)
		c.Observe(ev)
	}
}

// BenchmarkSnapshot is what the stats pane pays per refresh with 50 names
// and 500 sessions.
func BenchmarkSnapshot(b *testing.B) {
	c := New(Options{})
	for s := range 500 {
		sid := fmt.Sprintf("S%03d", s)
		feed(c, open(sid, "", 0))
		for n := range 50 {
			feed(c, emit(sid, "c2s", fmt.Sprintf("n%d", n), id(int64(n)), 100, n), ack(sid, "s2c", int64(n), n+5))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.Snapshot(12)
	}
}
