// Package diagnose turns what the session Tracker sees into faults from the
// catalogue (FAULTS.md): handshake errors, CORS, sticky sessions, upgrades,
// versions, heartbeats, namespaces, limits, TLS and abnormal session ends.
//
// An Engine is a session.Diagnoser. It is sans-IO: it never reads a clock
// (timers run on the times of observations and of Tick) and never starts a
// goroutine. Repeats fold into one fault per code and client host, with a
// count, first and last times; updates are re-emitted at most once per
// Options.RateLimit per fault, and the rest on Tick.
package diagnose
