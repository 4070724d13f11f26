package tui

import (
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// quits reports whether cmd (possibly a sequence) ends in tea.Quit.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if quits(c) {
				return true
			}
		}
	default:
		// tea.Sequence's message type is unexported; it is a []tea.Cmd.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				if c, ok := v.Index(i).Interface().(tea.Cmd); ok && quits(c) {
					return true
				}
			}
		}
	}
	return false
}

// ESC then q typed quickly (or over a laggy link) reaches the UI as alt+q:
// it must act as ESC, then q, in every view.
func TestEscThenKeyInEveryView(t *testing.T) {
	altQ := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}, Alt: true}
	tests := []struct {
		name  string
		setup []string
	}{
		{"main", nil},
		{"main scoped to a session", []string{"tab", "tab", "enter"}},
		{"packet detail", []string{"enter"}},
		{"fault detail", []string{"tab", "enter"}},
		{"help", []string{"?"}},
		{"filter input", []string{"/", "c", "h"}},
		{"save input", []string{"s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, demoEvents())
			press(m, tc.setup...)
			_, cmd := m.Update(altQ)
			if !quits(cmd) {
				t.Fatalf("alt+q (ESC q) in %s did not quit; mode now %s", tc.name, m.mode)
			}
			if m.mode != modeMain {
				t.Fatalf("ESC did not go back to the main view first: mode %s", m.mode)
			}
		})
	}
}

// ESC then / opens the filter from the detail view; the ESC closed the
// detail first.
func TestEscThenSlashFromDetail(t *testing.T) {
	m := newTestModel(t, demoEvents())
	press(m, "enter")
	if m.mode != modeDetail {
		t.Fatalf("enter did not open the detail: %s", m.mode)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}, Alt: true})
	if m.mode != modeFilter {
		t.Fatalf("ESC / from the detail: mode %s, want filter", m.mode)
	}
}

// The text inputs keep their own alt bindings (word moves, word deletes).
func TestFilterKeepsAltWordKeys(t *testing.T) {
	m := newTestModel(t, demoEvents())
	press(m, "/")
	typeText(m, "event:chat hello")
	m.Update(tea.KeyMsg{Type: tea.KeyBackspace, Alt: true})
	if m.mode != modeFilter {
		t.Fatalf("alt+backspace left the filter input: mode %s", m.mode)
	}
	if got := m.input.Value(); got != "event:chat " {
		t.Fatalf("alt+backspace: input %q, want the last word deleted", got)
	}
}

// Keys read together ("/event:avatar" in one read on a busy machine) act
// as if typed one by one: the / opens the filter, the rest is its text.
func TestKeysReadTogether(t *testing.T) {
	m := newTestModel(t, demoEvents())
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/event:join")})
	if m.mode != modeFilter || m.input.Value() != "event:join" {
		t.Fatalf("mode %s, input %q; want the filter open with event:join", m.mode, m.input.Value())
	}
	press(m, "enter")
	if !strings.Contains(m.View(), "Packets (1 shown)") {
		t.Fatalf("filter not applied:\n%s", m.View())
	}
	// p then ? in one read: pings shown, then help.
	m = newTestModel(t, demoEvents())
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p?")})
	if !m.showPings || m.mode != modeHelp {
		t.Fatalf("showPings %v mode %s; want pings shown and help", m.showPings, m.mode)
	}
	// A paste outside an input is not a series of commands.
	m = newTestModel(t, demoEvents())
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("cq"), Paste: true})
	if quits(cmd) || m.view.len() == 0 {
		t.Fatal(`a pasted "cq" cleared the stream or quit`)
	}
}
