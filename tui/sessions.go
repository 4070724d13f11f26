package tui

import (
	"sort"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// maxDerivedSessions bounds the sessions derived from events; the oldest
// closed sessions go first.
const maxDerivedSessions = 512

// sessionDeriver rebuilds session rows from session and packet events, for
// when the Source has no tracker snapshot.
type sessionDeriver struct {
	rows  map[string]*derived
	order []string // sids in the order they were first seen
}

type derived struct {
	row      SessionRow
	pingAt   time.Time // last non-probe ping, for the RTT
	pingDir  string
	probedAt time.Time
}

func newSessionDeriver() *sessionDeriver {
	return &sessionDeriver{rows: make(map[string]*derived)}
}

func (d *sessionDeriver) get(ev *event.Event) *derived {
	s := d.rows[ev.Sid]
	if s == nil {
		if len(d.order) >= maxDerivedSessions {
			d.evict()
		}
		s = &derived{row: SessionRow{Sid: ev.Sid, Opened: ev.TS, Transport: ev.Transport, Upgrade: UpgradePolling}}
		if ev.Transport == "websocket" {
			s.row.Upgrade = UpgradeWebSocket
		}
		d.rows[ev.Sid] = s
		d.order = append(d.order, ev.Sid)
	}
	if s.row.Client == "" {
		s.row.Client = ev.Client
	}
	if s.row.EIO == 0 {
		s.row.EIO = ev.EIO
	}
	if ev.TS.After(s.row.LastActivity) {
		s.row.LastActivity = ev.TS
	}
	return s
}

func (d *sessionDeriver) evict() {
	victim := 0
	for i, sid := range d.order {
		if d.rows[sid].row.Closed {
			victim = i
			break
		}
	}
	delete(d.rows, d.order[victim])
	d.order = append(d.order[:victim], d.order[victim+1:]...)
}

// observe folds one event into the derived sessions.
func (d *sessionDeriver) observe(ev *event.Event) {
	if ev.Sid == "" {
		return
	}
	switch ev.Kind {
	case event.KindSession:
		s := d.get(ev)
		switch ev.Action {
		case "open":
			s.row.Opened = ev.TS
			if ev.Transport != "" {
				s.row.Transport = ev.Transport
			}
			if s.row.Transport == "websocket" {
				s.row.Upgrade = UpgradeWebSocket
			}
		case "upgrade":
			s.row.Transport, s.row.Upgrade = "websocket", UpgradeWebSocket
		case "close":
			s.row.Closed, s.row.ClosedReason = true, ev.Reason
		}
	case event.KindFault:
		d.get(ev).row.Faults++
	case event.KindPacket:
		s := d.get(ev)
		if ev.Dir == "s2c" {
			s.row.PacketsS2C++
			s.row.BytesS2C += int64(ev.Size)
		} else {
			s.row.PacketsC2S++
			s.row.BytesC2S += int64(ev.Size)
		}
		d.packet(s, ev)
	}
}

func (d *sessionDeriver) packet(s *derived, ev *event.Event) {
	switch {
	case ev.Engine == "ping" && ev.Data == "probe" && s.row.Upgrade == UpgradePolling:
		s.row.Upgrade, s.probedAt = UpgradeProbing, ev.TS
	case ev.Engine == "upgrade":
		s.row.Transport, s.row.Upgrade = "websocket", UpgradeWebSocket
	case ev.Engine == "ping" && ev.Data == "":
		s.pingAt, s.pingDir = ev.TS, ev.Dir
	case ev.Engine == "pong" && ev.Data == "" && !s.pingAt.IsZero() && ev.Dir != s.pingDir:
		s.row.PingRTT = ev.TS.Sub(s.pingAt)
		s.pingAt = time.Time{}
	case ev.Type == "CONNECT" && ev.Dir == "c2s":
		ns := nsOf(ev)
		for _, have := range s.row.Namespaces {
			if have == ns {
				return
			}
		}
		s.row.Namespaces = append(s.row.Namespaces, ns)
	}
}

// snapshot returns the rows in first-seen order, marking probes older than
// StuckAfter as stuck.
func (d *sessionDeriver) snapshot(dst []SessionRow, now time.Time) []SessionRow {
	dst = dst[:0]
	for _, sid := range d.order {
		s := d.rows[sid]
		row := s.row
		if row.Upgrade == UpgradeProbing && !now.IsZero() && now.Sub(s.probedAt) > StuckAfter {
			row.Upgrade = UpgradeStuck
		}
		dst = append(dst, row)
	}
	return dst
}

func (d *sessionDeriver) clear() {
	clear(d.rows)
	d.order = d.order[:0]
}

// sortSessions orders rows open first, then by opening time, so live
// sessions stay at the top of a short pane.
func sortSessions(rows []SessionRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Closed != rows[j].Closed {
			return !rows[i].Closed
		}
		return rows[i].Opened.Before(rows[j].Opened)
	})
}
