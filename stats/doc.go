// Package stats computes, once and in bounded memory, the numbers behind
// the three views of a run: the TUI's stats pane, `sioproxy report` and the
// Prometheus endpoint. A Collector is fed every event the analyzer emits
// (event.Event, live or replayed) and hands out Snapshots.
//
// Memory is fixed whatever the traffic: latency and size distributions are
// log-bucketed Histograms (no per-event lists), rates are Series of fixed
// time slots, event names beyond the first MaxNames fold into "(other)",
// namespaces likewise, and at most MaxSessions sessions are kept (the
// oldest closed one makes room for a new one).
//
// Times are the events' own, so a replay computes what the live run did.
package stats
