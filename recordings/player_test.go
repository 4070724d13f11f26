package recordings

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// fakeClock advances only when the player waits, and records each wait.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// pacedReader holds observations at 0, 1 s, 3 s, 3 s and 3.5 s.
func pacedReader(t *testing.T) *Reader {
	t.Helper()
	var os []obs.Obs
	for _, ms := range []int{0, 1000, 3000, 3000, 3500} {
		os = append(os, wsMsg(ms, 1, decode.C2S, 1, "2"))
	}
	r, err := NewReader(bytes.NewReader(writeNative(t, sampleHeader(), os)), "paced.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPlayerPacing(t *testing.T) {
	tests := []struct {
		name  string
		speed float64
		want  []time.Duration
	}{
		{"recorded speed", 1, []time.Duration{time.Second, 2 * time.Second, 500 * time.Millisecond}},
		{"twice as fast", 2, []time.Duration{500 * time.Millisecond, time.Second, 250 * time.Millisecond}},
		{"half speed", 0.5, []time.Duration{2 * time.Second, 4 * time.Second, time.Second}},
		{"as fast as possible", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Unix(1e9, 0)}
			p := NewPlayer(tc.speed, clk)
			var n int
			var lastDone, lastTotal int64
			err := p.Play(context.Background(), pacedReader(t), func(obs.Obs) error { n++; return nil },
				func(done, total int64) { lastDone, lastTotal = done, total })
			if err != nil {
				t.Fatal(err)
			}
			if n != 5 {
				t.Errorf("%d observations played, want 5", n)
			}
			if !reflect.DeepEqual(clk.sleeps, tc.want) {
				t.Errorf("sleeps = %v, want %v", clk.sleeps, tc.want)
			}
			if lastDone == 0 || lastDone != lastTotal && lastTotal != -1 {
				t.Errorf("progress ended at %d/%d", lastDone, lastTotal)
			}
		})
	}
}

func TestPlayerPauseResume(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	p := NewPlayer(1, clk)
	pauses := 0
	p.onPauseWait = func() {
		pauses++
		clk.now = clk.now.Add(10 * time.Second) // the user looks away
		p.Resume()
	}
	var seen int
	err := p.Play(context.Background(), pacedReader(t), func(obs.Obs) error {
		seen++
		if seen == 1 {
			p.Pause()
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pauses != 1 {
		t.Errorf("paused %d times, want 1", pauses)
	}
	// The 10 s pause is not made up for: the gaps stay as recorded.
	want := []time.Duration{time.Second, 2 * time.Second, 500 * time.Millisecond}
	if !reflect.DeepEqual(clk.sleeps, want) {
		t.Errorf("sleeps = %v, want %v", clk.sleeps, want)
	}
}

func TestPlayerSetSpeedMidway(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	p := NewPlayer(1, clk)
	seen := 0
	err := p.Play(context.Background(), pacedReader(t), func(obs.Obs) error {
		seen++
		if seen == 2 {
			p.SetSpeed(4)
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 500 * time.Millisecond, 125 * time.Millisecond}
	if !reflect.DeepEqual(clk.sleeps, want) {
		t.Errorf("sleeps = %v, want %v", clk.sleeps, want)
	}
}

func TestPlayerStops(t *testing.T) {
	t.Run("out error", func(t *testing.T) {
		boom := errors.New("boom")
		err := NewPlayer(0, nil).Play(context.Background(), pacedReader(t), func(obs.Obs) error { return boom }, nil)
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cancelled while paused", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPlayer(1, &fakeClock{})
		p.Pause()
		p.onPauseWait = cancel
		err := p.Play(ctx, pacedReader(t), func(obs.Obs) error { return nil }, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("real clock, all at once", func(t *testing.T) {
		n := 0
		err := Play(context.Background(), pacedReader(t), 0, func(obs.Obs) error { n++; return nil }, nil)
		if err != nil || n != 5 {
			t.Errorf("err = %v, n = %d", err, n)
		}
	})
}
