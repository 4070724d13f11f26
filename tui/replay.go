package tui

import (
	"strconv"

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

// replayProgress is the status bar's replay item: how much of the
// recording has been played.
func replayProgress(done, total int) string {
	if done >= total {
		return "replay done"
	}
	return "replay " + strconv.Itoa(int(int64(done)*100/int64(total))) + "%"
}

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
