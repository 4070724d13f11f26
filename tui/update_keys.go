package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sioproxy/sioproxy/internal/event"
)

func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if ok, cmd := m.interceptKey(msg); ok {
		return cmd
	}
	if m.mode != modeFilter && m.mode != modeSave {
		m.message = ""
	}
	if m.onInjectKey(msg) { // inject.go
		return nil
	}
	switch m.mode {
	case modeFilter, modeSave:
		return m.onInputKey(msg)
	case modeHelp:
		switch {
		case key.Matches(msg, m.keys.Quit):
			return tea.Quit
		case key.Matches(msg, m.keys.Help, m.keys.Back, m.keys.Enter):
			m.mode = modeMain
		}
		return nil
	case modeDetail:
		return m.onDetailKey(msg)
	}
	if m.statsPane.on {
		return m.onStatsKey(msg)
	}
	if m.onReplayKey(msg) {
		return nil
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Stats):
		m.toggleStats()
	case key.Matches(msg, k.NextPane):
		m.focus = (m.focus + 1) % numPanes
	case key.Matches(msg, k.PrevPane):
		m.focus = (m.focus + numPanes - 1) % numPanes
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.inputPrev = m.filter.String()
		m.input.Prompt = "filter: "
		m.input.SetValue(m.inputPrev)
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, k.Save):
		m.mode = modeSave
		m.input.Prompt = "save recording to: "
		m.input.SetValue("sioproxy-" + m.now.Format("20060102-150405") + ".jsonl")
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, k.Follow):
		m.follow = !m.follow
		if m.follow {
			m.cursorSeq, _ = m.view.last()
			m.ensurePacketVisible()
		}
	case key.Matches(msg, k.Clear):
		m.store.clear()
		m.view.reset()
		m.cursorSeq, m.topSeq = 0, 0
	case key.Matches(msg, k.Pings):
		m.showPings = !m.showPings
		m.rebuildView()
	case key.Matches(msg, k.Enter):
		m.enter()
	case key.Matches(msg, k.Back):
		if m.scope != "" {
			m.scope = ""
			m.rebuildView()
		}
	default:
		m.move(msg)
	}
	return nil
}

// move handles the navigation keys for the focused pane.
func (m *Model) move(msg tea.KeyMsg) {
	k := m.keys
	page := max(1, m.paneRows(m.focus)-1)
	var delta int
	switch {
	case key.Matches(msg, k.Up):
		delta = -1
	case key.Matches(msg, k.Down):
		delta = 1
	case key.Matches(msg, k.PageUp):
		delta = -page
	case key.Matches(msg, k.PageDown):
		delta = page
	case key.Matches(msg, k.Home):
		delta = -1 << 30
	case key.Matches(msg, k.End):
		delta = 1 << 30
	default:
		return
	}
	m.moveBy(m.focus, delta)
	if m.focus == panePackets {
		m.followAfterMove(key.Matches(msg, k.End))
	}
}

// followAfterMove keeps the header honest: a move that leaves the newest
// row pauses following, and end/G resumes it.
func (m *Model) followAfterMove(toEnd bool) {
	switch {
	case toEnd:
		m.follow = true
	case !m.atBottom():
		m.follow = false
	}
}

func (m *Model) moveBy(p pane, delta int) {
	switch p {
	case paneSessions:
		m.sessCur = clamp(m.sessCur+delta, 0, len(m.sessRows)-1)
	case paneFaults:
		m.faultCur = clamp(m.faultCur+delta, 0, m.faults.len()-1)
	case panePackets:
		n := m.view.len()
		if n == 0 {
			return
		}
		i := clamp(m.view.index(m.cursorSeq)+delta, 0, n-1)
		m.cursorSeq = m.view.at(i)
		m.ensurePacketVisible()
	}
}

func (m *Model) onMouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	var delta int
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		delta = -3
	case tea.MouseButtonWheelDown:
		delta = 3
	default:
		return
	}
	if m.mode == modeDetail {
		if delta < 0 {
			m.detail.ScrollUp(-delta)
		} else {
			m.detail.ScrollDown(delta)
		}
		return
	}
	if m.mode != modeMain {
		return
	}
	p := m.paneAt(msg.Y)
	m.moveBy(p, delta)
	if p == panePackets {
		m.followAfterMove(false)
	}
}

func (m *Model) enter() {
	switch m.focus {
	case paneSessions:
		if m.sessCur < len(m.sessRows) {
			sid := m.sessRows[m.sessCur].Sid
			if m.scope == sid {
				sid = ""
			}
			m.scope = sid
			m.focus = panePackets
			m.rebuildView()
		}
	case panePackets:
		if e := m.store.get(m.cursorSeq); e != nil && m.view.len() > 0 {
			m.openDetail(m.packetDetail(m.cursorSeq, e))
		}
	case paneFaults:
		if m.faultCur < m.faults.len() {
			m.openDetail(m.faultDetail(&m.faults.rows[m.faultCur]))
		}
	}
}

func (m *Model) openDetail(content string) {
	m.prevMode, m.mode = m.mode, modeDetail
	m.detail.Width, m.detail.Height = m.width, m.bodyHeight()
	m.detail.SetContent(content)
	m.detail.GotoTop()
}

func (m *Model) onDetailKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back, k.Enter):
		m.mode = modeMain
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Up):
		m.detail.ScrollUp(1)
	case key.Matches(msg, k.Down):
		m.detail.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		m.detail.PageUp()
	case key.Matches(msg, k.PageDown):
		m.detail.PageDown()
	case key.Matches(msg, k.Home):
		m.detail.GotoTop()
	case key.Matches(msg, k.End):
		m.detail.GotoBottom()
	}
	return nil
}

func (m *Model) onInputKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		m.input.Blur()
		if m.mode == modeSave {
			m.mode = modeMain
			return m.save(m.input.Value())
		}
		m.mode = modeMain
		if m.filterErr != "" {
			// Keep the text so the user can fix it; the old filter stays.
			m.message = "filter not applied: " + m.filterErr
			m.filterErr = ""
		}
		return nil
	case tea.KeyEsc:
		m.input.Blur()
		if m.mode == modeFilter {
			m.applyFilter(m.inputPrev)
		}
		m.mode = modeMain
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.mode == modeFilter {
		m.applyFilter(m.input.Value())
	}
	return cmd
}

// applyFilter parses s and, if valid, rebuilds the view with it; an
// invalid filter is reported and the one in force stays.
func (m *Model) applyFilter(s string) {
	f, err := ParseFilter(s)
	if err != nil {
		m.filterErr = err.Error()
		return
	}
	m.filterErr = ""
	if f.String() == m.filter.String() {
		return
	}
	m.filter = f
	m.rebuildView()
}

// save returns the command that writes the recording off the event loop.
func (m *Model) save(path string) tea.Cmd {
	switch {
	case path == "":
		m.message = "save cancelled: empty path"
		return nil
	case m.opts.SaveView != nil:
		evs := make([]event.Event, 0, m.view.len())
		for i := 0; i < m.view.len(); i++ {
			evs = append(evs, m.store.get(m.view.at(i)).ev)
		}
		fn := m.opts.SaveView
		m.message = "saving…"
		return func() tea.Msg { return saveDoneMsg{path: path, n: len(evs), err: fn(path, evs)} }
	case m.opts.Save != nil:
		fn := m.opts.Save
		m.message = "saving…"
		return func() tea.Msg { return saveDoneMsg{path: path, n: -1, err: fn(path)} }
	}
	m.message = "saving is not available in this mode"
	return nil
}

// age formats how long ago t was, relative to the last tick.
func (m *Model) age(t time.Time) string {
	if t.IsZero() || m.now.IsZero() {
		return "-"
	}
	return shortDuration(m.now.Sub(t))
}
