package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// inputAltKeys are the alt bindings the text inputs (filter, save path)
// use themselves: word moves and word deletes. Every other alt+key is an
// ESC that arrived in the same read as the key after it.
var inputAltKeys = key.NewBinding(key.WithKeys("alt+left", "alt+right", "alt+b", "alt+f", "alt+backspace", "alt+delete", "alt+d"))

// splitAlt reports whether msg should be handled as ESC followed by the
// key without alt. A terminal sends alt+q as ESC q, and so does a person
// typing ESC then q quickly, or over a laggy link where both bytes arrive
// in one read: bubbletea cannot tell them apart and reports alt+q. The UI
// binds nothing to alt, so alt+key always means ESC, key; only the text
// inputs keep their own alt bindings.
func (m *Model) splitAlt(msg tea.KeyMsg) (tea.KeyMsg, bool) {
	if !msg.Alt {
		return msg, false
	}
	if (m.mode == modeFilter || m.mode == modeSave) && key.Matches(msg, inputAltKeys) {
		return msg, false
	}
	msg.Alt = false
	return msg, true
}

// onKeyMaybeAlt handles a key press, splitting an alt+key into ESC and
// the key, and several typed keys read at once into single keys.
func (m *Model) onKeyMaybeAlt(msg tea.KeyMsg) tea.Cmd {
	k, split := m.splitAlt(msg)
	if !split {
		return m.onRunes(msg)
	}
	return tea.Sequence(m.onKey(tea.KeyMsg{Type: tea.KeyEsc}), m.onRunes(k))
}

// inputMode reports whether keys go to a text input.
func (m *Model) inputMode() bool { return m.mode == modeFilter || m.mode == modeSave }

// onRunes handles typed characters that arrived in one read, as a busy
// machine or a laggy link delivers "/event:avatar": outside a text input
// each is a key of its own, and once one of them opens an input (the /)
// the rest is its text. A bracketed paste is text, never commands.
func (m *Model) onRunes(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste || m.inputMode() {
		return m.onKey(msg)
	}
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if m.inputMode() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			cmds = append(cmds, m.onKey(rest))
			break
		}
		one := msg
		one.Runes = []rune{r}
		cmds = append(cmds, m.onKey(one))
	}
	return tea.Sequence(cmds...)
}
