package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// TestLosslessRingWaitsForReader: a replay into the UI (Lossless) waits
// for the ring's reader instead of overwriting what it has not taken, so a
// ring far smaller than the replay loses nothing; a live run (not
// Lossless) keeps never waiting, and its reader is told what it missed.
func TestLosslessRingWaitsForReader(t *testing.T) {
	const events = 400
	in := func() *bus.Queue[obs.Obs] {
		q := bus.NewQueue[obs.Obs](events + 8)
		for _, o := range wsSession(1, "S1")[:3] {
			q.Push(o)
		}
		for i := 0; i < events; i++ {
			q.Push(obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(10+i) * time.Millisecond),
				WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.C2S, Opcode: 1, Data: []byte(fmt.Sprintf(`42["n",%d]`, i))}})
		}
		q.Close()
		return q
	}
	for _, tc := range []struct {
		lossless   bool
		wantMissed bool
	}{
		{lossless: true},
		{lossless: false, wantMissed: true},
	} {
		t.Run(fmt.Sprintf("lossless=%v", tc.lossless), func(t *testing.T) {
			ring := bus.NewRing[event.Event](16)
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), Config{In: in(), Events: ring, Lossless: tc.lossless, Now: func() time.Time { return t0 }})
			}()
			// The UI's pace: a few events per pull, and no pull at all
			// until the analyzer had time to run ahead.
			if !tc.lossless {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			var got []event.Event
			var after, missed uint64
			finished := !tc.lossless
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
				var m uint64
				got, after, m = ring.Since(got, after, 5)
				missed += m
				if finished && after == ring.Last() {
					break
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					finished = true
				case <-ring.Wake():
				case <-time.After(time.Millisecond):
				}
			}
			packets := 0
			for _, ev := range got {
				if ev.Kind == event.KindPacket && ev.Event == "n" {
					packets++
				}
			}
			if tc.wantMissed {
				if missed == 0 || packets == events {
					t.Fatalf("live run: the reader missed %d and got %d of %d events; want some missed", missed, packets, events)
				}
				return
			}
			if missed != 0 || packets != events {
				t.Fatalf("lossless run: the reader missed %d and got %d of %d events", missed, packets, events)
			}
		})
	}
}

// TestLosslessRingReaderGone: once the UI quits, a replay's analyzer
// drains what is left without waiting for a reader that will never come.
func TestLosslessRingReaderGone(t *testing.T) {
	in := bus.NewQueue[obs.Obs](64)
	for _, o := range wsSession(1, "S1")[:3] {
		in.Push(o)
	}
	for i := 0; i < 40; i++ {
		in.Push(obs.Obs{Kind: obs.KindWSMsg, Time: t0, WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.C2S, Opcode: 1, Data: []byte(`42["n",1]`)}})
	}
	in.Close()
	ring := bus.NewRing[event.Event](4)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Config{In: in, Events: ring, Lossless: true, Now: func() time.Time { return t0 }})
	}()
	// Wait until the analyzer is stuck on the full, unread ring.
	for deadline := time.Now().Add(30 * time.Second); ring.Last() < 4; {
		if time.Now().After(deadline) {
			t.Fatalf("the ring never filled: %d events", ring.Last())
		}
		time.Sleep(time.Millisecond)
	}
	ring.ReaderGone()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the analyzer still waits for a reader that is gone")
	}
	if ring.Last() < 40 {
		t.Fatalf("%d events published, want every one of the 43 observations' events", ring.Last())
	}
}
