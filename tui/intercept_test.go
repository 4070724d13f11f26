package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sioproxy/sioproxy/internal/event"
)

type fakeInterceptor struct {
	filters  []string
	held     []HeldMessage
	resolved []string
}

func (f *fakeInterceptor) AddBreakpoint(s string) error { f.filters = append(f.filters, s); return nil }
func (f *fakeInterceptor) ClearBreakpoints()            { f.filters = nil }
func (f *fakeInterceptor) Breakpoints() []string        { return f.filters }
func (f *fakeInterceptor) Held() []HeldMessage          { return f.held }
func (f *fakeInterceptor) Resolve(id int, action string, args []byte) error {
	f.resolved = append(f.resolved, action+" "+string(args))
	f.held = nil
	return nil
}

func icKey(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// b sets a breakpoint; a held message takes the main area with its args
// and heartbeat countdown, escaped; f forwards, u keeps the original.
func TestInterceptPane(t *testing.T) {
	fi := &fakeInterceptor{}
	m := New(Options{Intercept: fi})
	m.SetSize(120, 30)
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	m.Update(tickMsg{now: now})
	m.Update(icKey("b"))
	for _, r := range "event:chat" {
		m.Update(icKey(string(r)))
	}
	m.Update(icKey("enter"))
	if len(fi.filters) != 1 || fi.filters[0] != "event:chat" {
		t.Fatalf("breakpoints %q", fi.filters)
	}
	fi.held = []HeldMessage{{ID: 1, Sid: "abc", Dir: "c2s", Transport: "websocket", Type: "EVENT", Nsp: "/",
		Event: "chat\x1b[31m", Args: []byte(`["chat","orig"]`), Filter: "event:chat", Since: now, Deadline: now.Add(45 * time.Second)}}
	m.Update(tickMsg{now: now.Add(5 * time.Second)})
	v := m.View()
	for _, want := range []string{"HELD 1 of 1", `"orig"`, "gives up in about 40s", `\x1b[31m`} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "\x1b[31m") {
		t.Fatal("a wire string reached the terminal unescaped")
	}
	m.Update(icKey("f"))
	if len(fi.resolved) != 1 || fi.resolved[0] != `forward ["chat","orig"]` {
		t.Fatalf("resolved %q", fi.resolved)
	}
	if v := m.View(); strings.Contains(v, "HELD") {
		t.Fatal("the pane stayed after the decision")
	}
	// The packet row shows what the active layer did.
	ev := event.Event{Kind: event.KindPacket, Type: "EVENT", Event: "x", Active: &event.Active{Rules: []string{"r1"}, Dropped: true}}
	if got := activeMark(&ev); got != "[dropped by r1] " {
		t.Fatalf("mark %q", got)
	}
}
