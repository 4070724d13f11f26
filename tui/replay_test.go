package tui

import (
	"strings"
	"testing"
	"time"

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

// The status bar shows how much of the recording was played, not the
// bytes read ahead.
func TestReplayProgressShown(t *testing.T) {
	tests := []struct {
		done, total int
		want        string
	}{
		{0, 1000, "replay 0%"},
		{420, 1000, "replay 42%"},
		{999, 1000, "replay 99%"},
		{1000, 1000, "replay done"},
		{3 << 40, 4 << 40, "replay 75%"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			lipgloss.SetColorProfile(termenv.Ascii)
			src, _ := newTestSource(demoEvents(), Stats{ReplayDone: tc.done, ReplayTotal: tc.total})
			m := New(testOptions(src))
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			if out := m.View(); !strings.Contains(out, tc.want+" ") && !strings.HasSuffix(strings.TrimRight(strings.Split(out, "\n")[38], " "), tc.want) {
				t.Fatalf("status bar lacks %q:\n%s", tc.want, strings.Split(out, "\n")[38])
			}
		})
	}
}

// On the replay clock, recorded packets count in packets/s and sessions
// have ages; on the wall clock (years later) they would show 0 pkts/s.
func TestReplayClockRates(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	src, _ := newTestSource(manyPackets(500, 40), Stats{})
	opts := testOptions(src)
	opts.Now = func() time.Time { return at(560) } // the replay clock: just after the packets
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(m.Init()())
	if out := m.View(); !strings.Contains(out, "40 pkts/s") {
		t.Fatalf("status bar lacks 40 pkts/s:\n%s", out)
	}
}
