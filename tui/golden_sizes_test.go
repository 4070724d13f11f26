package tui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// TestGoldenSizes drives the real program at the terminal sizes people
// use: the packet list must keep its args readable from 80 columns up
// (testdata/TestGoldenSizes/*.golden; regenerate with -update).
func TestGoldenSizes(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	sizes := [][2]int{{80, 24}, {120, 40}, {200, 50}}
	views := []struct {
		name string
		keys []string
	}{
		{"packet_list", nil},
		{"faults_pane", []string{"tab"}},
		{"one_session", []string{"shift+tab", "enter"}},
	}
	for _, sz := range sizes {
		for _, v := range views {
			t.Run(fmt.Sprintf("%dx%d_%s", sz[0], sz[1], v.name), func(t *testing.T) {
				src, _ := newTestSource(demoEvents(), Stats{})
				tm := teatest.NewTestModel(t, New(testOptions(src)), teatest.WithInitialTermSize(sz[0], sz[1]))
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Faults (2)")) },
					teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
				for _, k := range v.keys {
					tm.Send(keyMsg(k))
				}
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				fm.dirty = true
				out := fm.View()
				checkFrame(t, out, sz[0], sz[1])
				teatest.RequireEqualOutput(t, []byte(out))
			})
		}
	}
}

// At 80 columns every packet row with args shows a readable part of them.
func TestArgsVisibleAt80(t *testing.T) {
	for _, w := range []int{80, 100, 120, 200} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			m := newTestModel(t, demoEvents())
			m.SetSize(w, 30)
			out := m.View()
			for _, want := range []string{`["hello","world"]`, `[{"ok":true}]`, `["room1"]`, "chat #1", "#1 ↩ chat", "? help", "q quit"} {
				if !strings.Contains(out, want) {
					t.Fatalf("at %d columns the view lacks %s:\n%s", w, want, out)
				}
			}
			if c := m.packetCols(); c.args(w) < 20 {
				t.Fatalf("args column %d cells at width %d", c.args(w), w)
			}
			checkFrame(t, out, w, 30)
		})
	}
}

// An ACK's latency stays visible however long the event name it answers:
// the name gives way.
func TestAckLatencyKeptInNarrowColumn(t *testing.T) {
	evs := demoEvents()
	for i := range evs {
		if evs[i].Event == "chat" {
			evs[i].Event = "conversation_message_sent"
		}
	}
	for _, w := range []int{80, 120, 200} {
		m := newTestModel(t, evs)
		m.SetSize(w, 30)
		out := m.View()
		if !strings.Contains(out, "12ms") || !strings.Contains(out, "#1 ↩ con") || !strings.Contains(out, "… #1") && !strings.Contains(out, "conversation_message_sent #1") {
			t.Fatalf("at %d columns the ACK lacks its latency or event:\n%s", w, out)
		}
	}
}
