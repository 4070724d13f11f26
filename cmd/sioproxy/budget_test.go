package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

// TestEventRingWithinShare: the ring's slots, allocated up front, and the
// events it holds fit the budget's Events share together, at any budget.
func TestEventRingWithinShare(t *testing.T) {
	for _, total := range []int64{membudget.Min, 64 << 20, membudget.Default, 4 << 30} {
		b := membudget.New(total)
		t.Run(membudget.FormatBytes(total), func(t *testing.T) {
			r := eventRing(b)
			if r.Cap() > eventRingSize {
				t.Fatalf("%d slots, more than the %d wanted", r.Cap(), eventRingSize)
			}
			if fixed := int64(r.Cap() * eventSlotSize); fixed+r.MaxBytes() > b.Events() {
				t.Fatalf("slots %d B + items %d B > share %d B", fixed, r.MaxBytes(), b.Events())
			}
			// Filled with large events, the ring still holds no more
			// than its bound.
			big := json.RawMessage(`["` + strings.Repeat("x", 256<<10) + `"]`)
			for i := 0; i < 1000; i++ {
				r.Publish(event.Event{Kind: event.KindPacket, Type: "EVENT", Args: big})
			}
			if r.Bytes() > r.MaxBytes()+int64(len(big))+1024 {
				t.Fatalf("holds %d B, bound %d B", r.Bytes(), r.MaxBytes())
			}
		})
	}
	// At the default budget the events themselves keep at least the
	// 32 MiB they had before the slots counted: with 16 MiB, ws-64k in
	// the terminal UI dropped 752 of 12,512 packets (loadbench).
	if r := eventRing(membudget.New(membudget.Default)); r.MaxBytes() < 32<<20 {
		t.Fatalf("default budget: %d slots leave %d B for the events, less than 32 MiB", r.Cap(), r.MaxBytes())
	}
}

func TestViewNote(t *testing.T) {
	for _, tc := range []struct {
		view  int
		total int64
		want  string // "" for no note
	}{
		{defaultView, membudget.Default, ""},
		{10_000_000, membudget.Default, "sioproxy: --view 10000000: the terminal UI's share of --mem-budget 256 MiB (32 MiB) holds 24672 packet rows; keeping 24672"},
		{defaultView, membudget.Min, "sioproxy: --view 10000: the terminal UI's share of --mem-budget 16 MiB (2 MiB) holds 1542 packet rows"},
	} {
		got := viewNote(tc.view, membudget.New(tc.total))
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("viewNote(%d, %d) = %q, want it to start with %q", tc.view, tc.total, got, tc.want)
		}
	}
}
