package tui

import (
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
)

// BusSource adapts the event bus ring, plus optional session and stats
// snapshots, to a Source.
type BusSource struct {
	Ring *bus.Ring[event.Event]
	// SessionsFunc returns the tracker's snapshot; nil (or a nil result)
	// makes the UI derive sessions from events.
	SessionsFunc func() []SessionRow
	// StatsFunc returns the status-bar state; nil means none.
	StatsFunc func() Stats
}

// NewBusSource returns a Source reading r. sessions and stats may be nil.
func NewBusSource(r *bus.Ring[event.Event], sessions func() []SessionRow, stats func() Stats) *BusSource {
	return &BusSource{Ring: r, SessionsFunc: sessions, StatsFunc: stats}
}

// Events implements Source with bus.Ring.Since.
func (s *BusSource) Events(dst []event.Event, after uint64, max int) ([]event.Event, uint64, uint64) {
	return s.Ring.Since(dst, after, max)
}

// Sessions implements Source.
func (s *BusSource) Sessions() []SessionRow {
	if s.SessionsFunc == nil {
		return nil
	}
	return s.SessionsFunc()
}

// Stats implements Source.
func (s *BusSource) Stats() Stats {
	if s.StatsFunc == nil {
		return Stats{}
	}
	return s.StatsFunc()
}

var _ Source = (*BusSource)(nil)
