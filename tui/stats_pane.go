package tui

import (
	"cmp"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe"
	"github.com/sioproxy/sioproxy/stats"
)

// StatsSource is optionally implemented by a Source whose stats are
// computed elsewhere (the analyzer's stats.Collector, as --metrics reads
// it). Without it the pane computes them from the events the UI pulls.
type StatsSource interface {
	StatsSnapshot(bars int) *stats.Snapshot
}

// statsBars is how many bars the pane's small histograms get.
const statsBars = 8

// statsRefreshTicks: the pane takes a new snapshot every 5 ticks (half a
// second), enough to watch and cheap with hundreds of sessions.
const statsRefreshTicks = 5

// Sections of the stats pane; tab moves between them.
const (
	statsEvents = iota
	statsSessions
	numStatsSections
)

// statsPane is the state of the stats pane (the t key).
type statsPane struct {
	on      bool
	sorted  bool             // the default sort columns are set
	own     *stats.Collector // when the Source has no StatsSource
	snap    *stats.Snapshot
	section int
	sortCol [numStatsSections]int
	asc     [numStatsSections]bool
	cur     [numStatsSections]int
	top     [numStatsSections]int
}

// statsObserve feeds the pane's own collector, if it keeps one.
func (m *Model) statsObserve(ev *event.Event) {
	if _, ok := m.opts.Source.(StatsSource); ok {
		return
	}
	if m.statsPane.own == nil {
		m.statsPane.own = stats.New(stats.Options{})
	}
	m.statsPane.own.Observe(ev)
}

// statsTick refreshes the snapshot while the pane is shown.
func (m *Model) statsTick() {
	if m.statsPane.own != nil {
		m.statsPane.own.Advance(m.now)
	}
	if m.statsPane.on && m.ticks%statsRefreshTicks == 0 {
		m.statsRefresh()
		m.dirty = true
	}
}

func (m *Model) statsRefresh() {
	p := &m.statsPane
	if s, ok := m.opts.Source.(StatsSource); ok {
		p.snap = s.StatsSnapshot(statsBars)
	} else if p.own != nil {
		p.snap = p.own.Snapshot(statsBars)
	}
	if p.snap != nil {
		m.sortStats()
	}
}

// toggleStats shows or hides the pane.
func (m *Model) toggleStats() {
	p := &m.statsPane
	if !p.sorted {
		// Busiest first: events by count, sessions by packets.
		p.sortCol, p.sorted = [numStatsSections]int{statsEvents: 3, statsSessions: 4}, true
	}
	p.on = !p.on
	if p.on {
		m.statsRefresh()
	}
}

// statsKeys are the pane's own keys; the others keep their meaning.
var (
	statsSortNext = key.NewBinding(key.WithKeys("right", "l", ">"), key.WithHelp("→/l", "sort by next column"))
	statsSortPrev = key.NewBinding(key.WithKeys("left", "h", "<"), key.WithHelp("←/h", "sort by previous column"))
	statsReverse  = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reverse order"))
)

func (m *Model) onStatsKey(msg tea.KeyMsg) tea.Cmd {
	p := &m.statsPane
	k := m.keys
	sec := p.section
	cols := len(statsColumns[sec])
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Stats, k.Back):
		p.on = false
	case key.Matches(msg, k.NextPane, k.PrevPane):
		p.section = (p.section + 1) % numStatsSections
	case key.Matches(msg, statsSortNext):
		p.sortCol[sec] = (p.sortCol[sec] + 1) % cols
		p.asc[sec] = !statsColumns[sec][p.sortCol[sec]].num
		m.sortStats()
	case key.Matches(msg, statsSortPrev):
		p.sortCol[sec] = (p.sortCol[sec] + cols - 1) % cols
		p.asc[sec] = !statsColumns[sec][p.sortCol[sec]].num
		m.sortStats()
	case key.Matches(msg, statsReverse):
		p.asc[sec] = !p.asc[sec]
		m.sortStats()
	case key.Matches(msg, k.Up):
		p.cur[sec]--
	case key.Matches(msg, k.Down):
		p.cur[sec]++
	case key.Matches(msg, k.PageUp):
		p.cur[sec] -= 10
	case key.Matches(msg, k.PageDown):
		p.cur[sec] += 10
	case key.Matches(msg, k.Home):
		p.cur[sec] = 0
	case key.Matches(msg, k.End):
		p.cur[sec] = 1 << 30
	}
	return nil
}

// statsColumn is a sortable column of a section.
type statsColumn struct {
	title string
	num   bool // numbers sort largest first
	ev    func(r *stats.EventRow) float64
	evs   func(r *stats.EventRow) string
	ss    func(r *stats.SessionRow) float64
	sss   func(r *stats.SessionRow) string
}

var statsColumns = [numStatsSections][]statsColumn{
	statsEvents: {
		{title: "event", evs: func(r *stats.EventRow) string { return r.Name }},
		{title: "dir", evs: func(r *stats.EventRow) string { return r.Dir }},
		{title: "msg/s", num: true, ev: func(r *stats.EventRow) float64 { return r.Rate }},
		{title: "count", num: true, ev: func(r *stats.EventRow) float64 { return float64(r.Count) }},
		{title: "size p50", num: true, ev: func(r *stats.EventRow) float64 { return r.Size.P50 }},
		{title: "ack p50", num: true, ev: func(r *stats.EventRow) float64 { return r.Ack.P50 }},
		{title: "p90", num: true, ev: func(r *stats.EventRow) float64 { return r.Ack.P90 }},
		{title: "p99", num: true, ev: func(r *stats.EventRow) float64 { return r.Ack.P99 }},
		{title: "max", num: true, ev: func(r *stats.EventRow) float64 { return r.Ack.Max }},
		{title: "no ack", num: true, ev: func(r *stats.EventRow) float64 { return float64(r.Unanswered) }},
		{title: "pending", num: true, ev: func(r *stats.EventRow) float64 { return float64(r.Pending) }},
	},
	statsSessions: {
		{title: "sid", sss: func(r *stats.SessionRow) string { return r.Sid }},
		{title: "transport", sss: func(r *stats.SessionRow) string { return r.Transport }},
		{title: "pkt/s", num: true, ss: func(r *stats.SessionRow) float64 { return recent(r.PacketsPerSec) }},
		{title: "bytes/s", num: true, ss: func(r *stats.SessionRow) float64 { return recent(r.BytesPerSec) }},
		{title: "packets", num: true, ss: func(r *stats.SessionRow) float64 { return float64(r.Packets[0] + r.Packets[1]) }},
		{title: "rtt", num: true, ss: func(r *stats.SessionRow) float64 { return r.PingRTTMs }},
		{title: "faults", num: true, ss: func(r *stats.SessionRow) float64 { return float64(r.Faults) }},
		{title: "no ack", num: true, ss: func(r *stats.SessionRow) float64 { return float64(r.UnansweredAcks) }},
		{title: "state", sss: func(r *stats.SessionRow) string { return sessionState(r) }},
	},
}

// sortStats orders the snapshot's rows by each section's sort column,
// ties by name so rows do not jump between refreshes.
func (m *Model) sortStats() {
	p := &m.statsPane
	s := p.snap
	if s == nil {
		return
	}
	c := statsColumns[statsEvents][p.sortCol[statsEvents]]
	asc := p.asc[statsEvents]
	slices.SortStableFunc(s.Events, func(a, b stats.EventRow) int {
		var r int
		if c.ev != nil {
			r = cmp.Compare(c.ev(&a), c.ev(&b))
		} else {
			r = cmp.Compare(c.evs(&a), c.evs(&b))
		}
		if !asc {
			r = -r
		}
		return cmp.Or(r, cmp.Compare(a.Name, b.Name), cmp.Compare(a.Dir, b.Dir))
	})
	c = statsColumns[statsSessions][p.sortCol[statsSessions]]
	asc = p.asc[statsSessions]
	slices.SortStableFunc(s.Sessions, func(a, b stats.SessionRow) int {
		var r int
		if c.ss != nil {
			r = cmp.Compare(c.ss(&a), c.ss(&b))
		} else {
			r = cmp.Compare(c.sss(&a), c.sss(&b))
		}
		if !asc {
			r = -r
		}
		return cmp.Or(r, a.Opened.Compare(b.Opened), cmp.Compare(a.Sid, b.Sid))
	})
}

// recent is the mean of the last five whole slots of a per-second series
// (the current slot is still filling), a rate that does not flicker.
func recent(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	w := v[max(0, len(v)-6) : len(v)-1]
	var s float64
	for _, x := range w {
		s += x
	}
	return s / float64(len(w))
}

func sessionState(r *stats.SessionRow) string {
	switch {
	case r.IsClosed:
		return "closed: " + r.Reason
	case r.Reconnect:
		return "open (reconnect)"
	}
	return "open"
}

// statsHelp is the pane's hint line.
func statsHelp() string {
	return "t/esc back · tab events/sessions · ←/→ sort column · r reverse · ↑/↓ scroll · q quit"
}

// escapeCell shows a wire string on one line, neutralised as everywhere
// else in the UI: the pane's numbers come from the analyzer's collector,
// not from the events the UI already made safe.
func escapeCell(s string) string { return termsafe.String(s) }
