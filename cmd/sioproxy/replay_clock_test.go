package main

import (
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/recordings"
)

// While observations wait in the analyzer's queue, the replay clock is at
// the newest one the analyzer took: it moves on with the analyzer (so
// timers run and closed sessions are forgotten during a fast replay,
// whose queue is never empty) and never runs ahead of what waits.
func TestReplayClockFollowsTheAnalyzer(t *testing.T) {
	in := bus.NewQueue[obs.Obs](64)
	c := &replayClock{in: in, player: recordings.NewPlayer(0, nil)}
	at := func(i int) time.Time { return time.Date(2026, 3, 1, 12, 0, i, 0, time.UTC) }
	for i := range 10 {
		in.Push(obs.Obs{Kind: obs.KindDrop, Time: at(i)})
		c.pushed(at(i))
	}
	if got := c.now(); !got.IsZero() {
		t.Fatalf("nothing taken yet: now = %v, want the zero time", got)
	}
	for want := range 9 {
		<-in.C()
		if got := c.now(); !got.Equal(at(want)) {
			t.Fatalf("after taking %d observations: now = %v, want %v", want+1, got, at(want))
		}
	}
	// A recording's times need not be in order: the clock never goes back.
	in.Push(obs.Obs{Kind: obs.KindDrop, Time: at(3)})
	c.pushed(at(3))
	in.Push(obs.Obs{Kind: obs.KindDrop, Time: at(20)})
	c.pushed(at(20))
	<-in.C()
	<-in.C()
	if got := c.now(); !got.Equal(at(8)) {
		t.Fatalf("now = %v after an older observation, want %v", got, at(8))
	}
	<-in.C()
	if got := c.now(); !got.Equal(at(20)) {
		t.Fatalf("queue empty: now = %v, want the newest time pushed %v", got, at(20))
	}
}
