package session

import (
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Diagnoser is the hook for fault rules (decode/diagnose). The Tracker calls
// it synchronously, with its lock held, after it has updated its own state:
// a Diagnoser reads the Session (never keeps it beyond the call unless it
// only reads exported fields later from the same goroutine) and emits fault
// events through emit. It must not call back into the Tracker.
type Diagnoser interface {
	// Observe sees every observation once the Tracker has processed it. s is
	// the session it belonged to, nil if none (non-Socket.IO HTTP, failed
	// handshakes, TLS, drops).
	Observe(o obs.Obs, s *Session, emit func(event.Event))
	// Packet sees every event the Tracker emits for a session — packets, but
	// also session open/upgrade/close, http exchanges with a sid, and decode
	// errors (check ev.Kind) — right after it was emitted. ev is valid only
	// during the call.
	Packet(ev *event.Event, s *Session, emit func(event.Event))
	// Tick runs the rules' timers; now comes from the caller's clock.
	Tick(now time.Time, emit func(event.Event))
}
