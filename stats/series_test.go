package stats

import (
	"testing"
	"time"
)

func TestSeriesWindow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := NewSeries(5, time.Second)
	s.Add(t0, 2)
	s.Add(t0.Add(500*time.Millisecond), 3)
	s.Add(t0.Add(2*time.Second), 7)
	got := s.Values(t0.Add(2 * time.Second))
	want := []float64{0, 0, 5, 0, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("values %v, want %v", got, want)
		}
	}
	// Slots older than the window are forgotten, not wrapped around.
	got = s.Values(t0.Add(6 * time.Second))
	if got[0] != 7 || got[1]+got[2]+got[3]+got[4] != 0 || s.Sum(t0.Add(6*time.Second)) != 7 {
		t.Fatalf("after 6 s: values %v, want the 5 gone and the 7 kept", got)
	}
	// A late value for a slot already reused is dropped.
	s.Add(t0.Add(7*time.Second), 1)
	s.Add(t0.Add(2*time.Second), 100)
	if v := s.Values(t0.Add(7 * time.Second)); v[4] != 1 {
		t.Fatalf("values %v: a stale add changed the current slot", v)
	}
}

func TestAdvanceDecaysRates(t *testing.T) {
	c := New(Options{})
	feed(c, open("S", "", 0), emit("S", "c2s", "a", nil, 10, 1))
	if s := c.Snapshot(0); s.PacketsPerSec[len(s.PacketsPerSec)-1] != 1 {
		t.Fatalf("last second %v packets/s, want 1", s.PacketsPerSec[len(s.PacketsPerSec)-1])
	}
	c.Advance(at(10_000))
	s := c.Snapshot(0)
	if last := s.PacketsPerSec[len(s.PacketsPerSec)-1]; last != 0 || s.PacketsPerSec[len(s.PacketsPerSec)-11] != 1 {
		t.Fatalf("10 s later the packet should sit 10 slots back: %v", s.PacketsPerSec[len(s.PacketsPerSec)-12:])
	}
	c.Advance(at(5_000)) // the clock never goes back
	if c.Snapshot(0).Now != at(10_000) {
		t.Fatal("Advance moved the clock back")
	}
}

func TestSeriesWidth(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := NewSeries(3, 5*time.Second)
	s.Add(t0, 10)
	if v := s.Values(t0); v[2] != 2 {
		t.Fatalf("10 in a 5 s slot is %v/s, want 2", v[2])
	}
}
