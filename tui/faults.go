package tui

import (
	"github.com/sioproxy/sioproxy/internal/event"
)

// maxFaults bounds the distinct (code, sid) faults kept; the oldest go.
const maxFaults = 512

type faultKey struct{ code, sid string }

// faultList folds fault events by code and sid: a repeat updates the
// existing row's count and last time instead of adding one.
type faultList struct {
	rows  []faultRow
	index map[faultKey]int
}

type faultRow struct {
	sid string
	f   event.Fault
}

func newFaultList() *faultList { return &faultList{index: make(map[faultKey]int)} }

func (l *faultList) observe(ev *event.Event) {
	if ev.Fault == nil {
		return
	}
	k := faultKey{ev.Fault.Code, ev.Sid}
	if i, ok := l.index[k]; ok {
		row := &l.rows[i]
		first, count := row.f.First, row.f.Count
		row.f = *ev.Fault
		// Updates normally carry the running count; one that does not
		// still counts as a repeat.
		if row.f.Count <= count {
			row.f.Count = count + 1
		}
		if !first.IsZero() && (row.f.First.IsZero() || first.Before(row.f.First)) {
			row.f.First = first
		}
		return
	}
	if len(l.rows) >= maxFaults {
		delete(l.index, faultKey{l.rows[0].f.Code, l.rows[0].sid})
		l.rows = append(l.rows[:0], l.rows[1:]...)
		for i, r := range l.rows {
			l.index[faultKey{r.f.Code, r.sid}] = i
		}
	}
	f := *ev.Fault
	if f.Count < 1 {
		f.Count = 1
	}
	l.index[k] = len(l.rows)
	l.rows = append(l.rows, faultRow{sid: ev.Sid, f: f})
}

func (l *faultList) len() int { return len(l.rows) }

// causedMark prefixes the code of a fault that follows from another one
// (event.Fault.Cause), so it reads as a consequence, not a root cause.
func causedMark(cause string) string {
	if cause == "" {
		return ""
	}
	return "↳ "
}
