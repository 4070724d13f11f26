// Package session turns wire observations into decoded events. It
// correlates every HTTP exchange and WebSocket of an Engine.IO session by its
// sid — handshake, polls, probe, upgrade, close — decodes the Engine.IO and
// Socket.IO packets inside, and keeps per-session state: namespaces and
// their socket ids, acks waiting for their reply, heartbeats, counters.
//
// Like the rest of decode/, it is sans-IO: the caller passes observations
// and the current time (Tick), the Tracker never reads a clock or starts a
// goroutine, and events come back through an emit callback.
package session
