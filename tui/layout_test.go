package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// nineFaults is nine distinct faults on one session.
func nineFaults() []event.Event {
	var evs []event.Event
	for i := 0; i < 9; i++ {
		f := event.Fault{Code: fmt.Sprintf("fault_%d", i), Catalog: "X", Severity: event.Warning,
			Summary: fmt.Sprintf("summary %d", i), Fix: "fix it", Count: 1, First: at(500 + i), Last: at(500 + i)}
		evs = append(evs, event.Event{TS: at(500 + i), Kind: event.KindFault, Sid: "S1", Fault: &f})
	}
	return evs
}

// faultRowsShown counts the fault rows drawn.
func faultRowsShown(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "WARNING fault_") {
			n++
		}
	}
	return n
}

// Panes share the height by content: nine faults and a short stream show
// all nine faults; with a long stream the faults pane keeps its share, and
// grows when it has the focus.
func TestPanesShareHeightByContent(t *testing.T) {
	tests := []struct {
		name    string
		packets int
		keys    []string
		atLeast int
	}{
		{"short stream: all nine faults", 5, nil, 9},
		{"long stream: more than four", 500, nil, 5},
		{"long stream, faults focused: all nine", 500, []string{"tab"}, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, append(manyPackets(0, tc.packets), nineFaults()...))
			press(m, tc.keys...)
			out := m.View()
			if got := faultRowsShown(out); got < tc.atLeast {
				t.Fatalf("%d fault rows drawn, want at least %d:\n%s", got, tc.atLeast, out)
			}
			checkFrame(t, out, 120, 40)
		})
	}
}

// The focused sessions pane grows to show many sessions.
func TestFocusedSessionsPaneGrows(t *testing.T) {
	var evs []event.Event
	for i := 0; i < 20; i++ {
		evs = append(evs, pkt(i, fmt.Sprintf("SID%02d", i), "c2s", "websocket", "message", "EVENT", "/", "x", `[1]`))
	}
	evs = append(evs, manyPackets(100, 300)...)
	m := newTestModel(t, evs)
	unfocused := m.layout().sess
	press(m, "shift+tab")
	if m.focus != paneSessions {
		t.Fatalf("focus %s", m.focus)
	}
	if focused := m.layout().sess; focused <= unfocused || focused < 20 {
		t.Fatalf("sessions pane: %d rows focused, %d unfocused; want it to grow to the 21 sessions", focused, unfocused)
	}
	checkFrame(t, m.View(), 120, 40)
}
