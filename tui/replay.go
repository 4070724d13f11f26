package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Pauser is optionally implemented by a Source that plays a recording: the
// space key then pauses and resumes the replay.
type Pauser interface {
	// TogglePause pauses a running replay or resumes a paused one and
	// reports whether it is paused now.
	TogglePause() (paused bool)
}

var pauseKey = key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pause replay"))

// onReplayKey handles the replay keys; it reports whether msg was one.
func (m *Model) onReplayKey(msg tea.KeyMsg) bool {
	p, ok := m.opts.Source.(Pauser)
	if !ok || !key.Matches(msg, pauseKey) {
		return false
	}
	if p.TogglePause() {
		m.message = "replay paused (space resumes)"
	} else {
		m.message = "replay resumed"
	}
	return true
}
