package tui

import (
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Source is everything the UI reads. The model calls it only from Update on
// its 100 ms tick, so implementations must be cheap, must not block, and
// must be safe to call while the proxy publishes.
type Source interface {
	// Events appends to dst at most max events with bus sequence numbers
	// greater than after, oldest first, and returns the extended slice,
	// the sequence number of the last event returned (after if none) and
	// how many events after `after` were already lost. bus.Ring.Since has
	// exactly this contract.
	Events(dst []event.Event, after uint64, max int) ([]event.Event, uint64, uint64)
	// Sessions is a snapshot from the session tracker. Returning nil makes
	// the UI derive sessions from session and packet events itself.
	Sessions() []SessionRow
	// Stats is the state shown in the status bar.
	Stats() Stats
}

// HeaderSource is optionally implemented by a Source that keeps the HTTP
// exchanges and WebSocket upgrades behind packets; the detail view then
// shows their request and response headers. Lookups must not block.
type HeaderSource interface {
	Exchange(id uint64) (*obs.HTTPExchange, bool)
	WSOpen(conn uint64) (*obs.WSOpen, bool)
}

// Upgrade states of a session.
const (
	UpgradePolling   = "polling"   // polling, no upgrade attempted (yet)
	UpgradeProbing   = "probing"   // WebSocket probe sent, upgrade not done
	UpgradeWebSocket = "websocket" // upgraded, or WebSocket from the start
	UpgradeStuck     = "stuck"     // probing for longer than StuckAfter
)

// StuckAfter is how long a probe may go unanswered before the derived
// session view calls the upgrade stuck.
const StuckAfter = 10 * time.Second

// SessionRow is one Engine.IO session as the sessions pane shows it.
type SessionRow struct {
	Sid        string
	Client     string // client address
	Transport  string // current transport: "polling" or "websocket"
	Upgrade    string // one of the Upgrade* constants
	EIO        int    // 3 or 4, 0 if unknown
	Namespaces []string

	PacketsC2S, PacketsS2C int64
	BytesC2S, BytesS2C     int64

	Opened       time.Time
	LastActivity time.Time
	PingRTT      time.Duration // latest ping→pong round trip, 0 if unknown
	Faults       int           // faults diagnosed on this session

	Closed       bool
	ClosedReason string // e.g. "transport close", "ping timeout"
}

// Stats is what the status bar shows besides the model's own counters.
type Stats struct {
	Listen, Target string // override Options.Listen/Target when set

	BusDrops uint64 // events the event bus dropped
	ObsDrops uint64 // observations the proxy's queue dropped

	Recording   bool
	RecordPath  string
	RecordDrops uint64 // observations the recorder's queue dropped (written as drop lines)
	RecordErr   string // set once a write error stopped the recording

	// DetailDrops counts observations the detail cache (headers, bodies,
	// WebSocket opens) could not take: those details show "no longer held".
	DetailDrops uint64

	// Trimmed counts packets whose args, attachments or wire bytes were
	// too large to keep in memory whole (--mem-budget): they show a
	// summary; the recording and --json have them whole.
	Trimmed uint64

	// Replay progress in any unit (bytes of the recording played), shown
	// as a percentage when ReplayTotal > 0.
	ReplayDone, ReplayTotal int
}

// SaveFunc writes a recording to path. It runs in a tea.Cmd, off the UI's
// event loop, so it may do I/O.
type SaveFunc func(path string) error

// SaveViewFunc writes the given events (those in the current view, after
// filtering) as a recording to path.
type SaveViewFunc func(path string, events []event.Event) error

// Options configures the UI.
type Options struct {
	// Source feeds the UI. Required.
	Source Source
	// Capacity is how many packets the UI keeps for scrolling and
	// filtering. Older ones fall out of view and are counted in the
	// status bar; a recording, if on, still has them. Default 10,000.
	Capacity int
	// MaxBytes, if positive, also bounds the memory of the packets kept
	// (event.Event.MemSize): the oldest fall out of view first.
	MaxBytes int64
	// BatchMax caps the events taken from the Source per 100 ms tick.
	// Default 8,192 (80,000 events/s); beyond that the bus drops and the
	// status bar says so.
	BatchMax int
	// Title is shown in the header line. Default "sioproxy".
	Title string
	// Save is called by the s key with the path the user confirmed.
	Save SaveFunc
	// SaveView, if set, is used by the s key instead of Save and receives
	// a copy of the events in the current view.
	SaveView SaveViewFunc
	// NoColor disables colours and styling. Run also sets it when the
	// NO_COLOR environment variable is set.
	NoColor bool
	// Listen and Target are shown in the status bar ("listen → target").
	Listen, Target string
	// Intercept, when set, enables breakpoints (b) and the held-message
	// editor (see intercept.go).
	Intercept Interceptor
	// StartCheck is the start-up check of the targets: one that did not
	// answer shows as unreachable in the status bar until it serves.
	StartCheck []UpstreamCheck
	// Now is the clock read by the tick command (never by the model), for
	// packets/s, ages and default file names. Default time.Now.
	Now func() time.Time
}

const (
	defaultCapacity = 10000
	defaultBatchMax = 8192
	tickEvery       = 100 * time.Millisecond
)

func (o *Options) setDefaults() {
	if o.Capacity <= 0 {
		o.Capacity = defaultCapacity
	}
	if o.BatchMax <= 0 {
		o.BatchMax = defaultBatchMax
	}
	if o.Title == "" {
		o.Title = "sioproxy"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Source == nil {
		o.Source = emptySource{}
	}
}

type emptySource struct{}

func (emptySource) Events(dst []event.Event, after uint64, _ int) ([]event.Event, uint64, uint64) {
	return dst, after, 0
}
func (emptySource) Sessions() []SessionRow { return nil }
func (emptySource) Stats() Stats           { return Stats{} }
