package session

import (
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// Options configure a Tracker. The zero value is usable.
type Options struct {
	// Paths are the Engine.IO path prefixes, matched on the raw request
	// path. Default "/socket.io/" and "/engine.io/". A request on another
	// path still counts when its query has both EIO and transport, so a
	// custom server path is decoded without configuration.
	Paths []string
	// MaxSessions caps the sessions held; beyond it the oldest closed (else
	// least recently active) session is forgotten. Default 10000.
	MaxSessions int
	// Retain is how long a closed session stays listed by Sessions, and how
	// long an adopted session (first seen mid-flight, so its timers are
	// unknown) may stay idle before it is forgotten. Default 2 minutes.
	Retain time.Duration
	// HeartbeatSlack is added to pingInterval+pingTimeout before Tick
	// declares a silent session dead ("ping timeout"), to absorb scheduling
	// and network jitter. Default 1 s.
	HeartbeatSlack time.Duration
	// MaxBody caps an inflated polling body. Default eio.DefaultMaxInflated.
	MaxBody int
	// MaxHistory is how many polling requests each session remembers for
	// the Diagnoser. Default 64.
	MaxHistory int
	// Diagnoser receives observations and events to diagnose faults; nil
	// means none.
	Diagnoser Diagnoser
}

// UpgradeTimeout is engine.io's default upgradeTimeout: a probe WebSocket
// without "5" after this long is closed by the server.
const UpgradeTimeout = 10 * time.Second

func (o Options) withDefaults() Options {
	if len(o.Paths) == 0 {
		o.Paths = []string{"/socket.io/", "/engine.io/"}
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	if o.Retain <= 0 {
		o.Retain = 2 * time.Minute
	}
	if o.HeartbeatSlack <= 0 {
		o.HeartbeatSlack = time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = eio.DefaultMaxInflated
	}
	if o.MaxHistory <= 0 {
		o.MaxHistory = 64
	}
	return o
}
