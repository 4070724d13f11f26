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

func TestSeriesWidth(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := NewSeries(3, 5*time.Second)
	s.Add(t0, 10)
	if v := s.Values(t0); v[2] != 2 {
		t.Fatalf("10 in a 5 s slot is %v/s, want 2", v[2])
	}
}
