package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// pausingSource is a test Source that plays a recording.
type pausingSource struct {
	*BusSource
	paused bool
	calls  int
}

func (p *pausingSource) TogglePause() bool {
	p.calls++
	p.paused = !p.paused
	return p.paused
}

func TestSpacePausesReplay(t *testing.T) {
	tests := []struct {
		name string
		keys []tea.KeyMsg
		want string
		n    int
	}{
		{"space pauses", []tea.KeyMsg{{Type: tea.KeySpace, Runes: []rune{' '}}}, "replay paused (space resumes)", 1},
		{"space rune pauses", []tea.KeyMsg{keyMsg(" ")}, "replay paused (space resumes)", 1},
		{"twice resumes", []tea.KeyMsg{keyMsg(" "), keyMsg(" ")}, "replay resumed", 2},
		{"other keys do not", []tea.KeyMsg{keyMsg("p")}, "pings shown", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lipgloss.SetColorProfile(termenv.Ascii)
			bs, _ := newTestSource(demoEvents(), Stats{})
			src := &pausingSource{BusSource: bs}
			m := New(testOptions(src))
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			for _, k := range tc.keys {
				m.Update(k)
			}
			if src.calls != tc.n {
				t.Fatalf("TogglePause called %d times, want %d", src.calls, tc.n)
			}
			if out := m.View(); !strings.Contains(out, tc.want) {
				t.Fatalf("view lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// A live Source has no Pauser: space does nothing and says nothing.
func TestSpaceWithoutReplay(t *testing.T) {
	m := newTestModel(t, demoEvents())
	m.Update(keyMsg(" "))
	if out := m.View(); strings.Contains(out, "replay") {
		t.Fatalf("view mentions replay:\n%s", out)
	}
}
