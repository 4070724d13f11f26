package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// TestGolden drives the real bubbletea program at 120×40 with colours off
// and compares the final frame with testdata/TestGolden/*.golden
// (regenerate with go test -run TestGolden -update).
func TestGolden(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	tests := []struct {
		name string
		keys []string
	}{
		{"packet_list", nil},
		{"binary_event_detail", []string{"up", "up", "enter"}},
		{"faults_pane", []string{"tab", "down"}},
		{"filter_active", append(append([]string{"/"}, splitKeys("transport:ws -type:ACK")...), "enter")},
		{"help", []string{"?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := newTestSource(demoEvents(), Stats{Recording: true, RecordPath: "demo.jsonl"})
			tm := teatest.NewTestModel(t, New(testOptions(src)), teatest.WithInitialTermSize(120, 40))
			// Keys must land after the first tick has pulled the events.
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Faults (2)")) },
				teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
			for _, k := range tc.keys {
				tm.Send(keyMsg(k))
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
			if !ok {
				t.Fatal("final model is not *Model")
			}
			fm.dirty = true
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

func splitKeys(s string) []string {
	out := make([]string, 0, len(s))
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

var _ tea.Model = (*Model)(nil)
