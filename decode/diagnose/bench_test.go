package diagnose

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func benchHealthyWS(b *testing.B, d session.Diagnoser) {
	w := newWire()
	tr := session.NewTracker(session.Options{Diagnoser: d})
	emit := func(event.Event) {}
	for _, o := range concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
		wsText(2, 9, c2s, "40"),
		wsText(3, 9, s2c, `40{"sid":"s0"}`),
	}) {
		tr.Observe(o, emit)
	}
	msg := wsText(10, 9, c2s, `42["message",{"text":"hello","n":1}]`)
	b.ReportAllocs()
	for b.Loop() {
		tr.Observe(msg, emit)
	}
}

// BenchmarkDiagnoseHealthyWebSocketEvent is one Socket.IO EVENT over
// WebSocket through the Tracker with the Engine; compare with
// BenchmarkTrackerWebSocketEventNoDiagnoser for the rules' share.
func BenchmarkDiagnoseHealthyWebSocketEvent(b *testing.B) { benchHealthyWS(b, New(Options{})) }

func BenchmarkTrackerWebSocketEventNoDiagnoser(b *testing.B) { benchHealthyWS(b, nil) }

// BenchmarkDiagnoseHealthyPollingRound is one long-polling round trip (a
// POST carrying an EVENT, then the GET answered with its ACK) through the
// Tracker with the Engine: the rules run on every request, and their
// evidence text must only be built when one fires.
func BenchmarkDiagnoseHealthyPollingRound(b *testing.B) {
	w, tr, emit := connectedPolling()
	post := w.post(10, 11, q4sid+"&t=d", `421["get",{"key":"user:42"}]`)
	get := w.get(9, 12, q4sid+"&t=e", 200, `431[{"ok":true}]`)
	b.ReportAllocs()
	for b.Loop() {
		tr.Observe(post, emit)
		tr.Observe(get, emit)
	}
}

// BenchmarkDiagnoseLivePollingRound is BenchmarkDiagnoseHealthyPollingRound
// with observations as the proxy makes them: every exchange new, with its
// own id, later times and a method string of its own on the heap (net/http
// parses one per request), so that a session's history of 64 requests
// holds 64 different strings, as it does after a few seconds of load.
// Rules that walk the history pay here for every pointer they follow.
func BenchmarkDiagnoseLivePollingRound(b *testing.B) {
	w, tr, emit := connectedPolling()
	postT := w.post(0, 0, q4sid+"&t=d", `421["get",{"key":"user:42"}]`)
	getT := w.get(0, 0, q4sid+"&t=e", 200, `431[{"ok":true}]`)
	fresh := func(tmpl obs.Obs, start, end int) obs.Obs {
		x := *tmpl.HTTP
		w.id++
		x.ID, x.Start, x.End = w.id, ms(start), ms(end)
		x.Method = strings.Clone(x.Method)
		return obs.Obs{Kind: obs.KindHTTP, Time: x.End, HTTP: &x}
	}
	t := 10
	b.ReportAllocs()
	for b.Loop() {
		// The GET waits while the POST carries the EVENT; the ACK ends it.
		tr.Observe(fresh(postT, t+1, t+2), emit)
		tr.Observe(fresh(getT, t, t+3), emit)
		t += 3
	}
}

// BenchmarkTick10kSessions is one analyzer tick (four a second) with
// 10,000 open WebSocket sessions, none due for anything: the Tracker's
// and the Engine's walks over every session, the many-connections
// benchmark's shape.
func BenchmarkTick10kSessions(b *testing.B) {
	w := newWire()
	tr := session.NewTracker(session.Options{Diagnoser: New(Options{})})
	emit := func(event.Event) {}
	for i := range 10000 {
		conn := uint64(i + 1)
		open := strings.Replace(open4ws, "WSID", fmt.Sprintf("sid%07d", i), 1)
		for _, o := range concat(w.wsOnly(i%1000, conn, open), []obs.Obs{
			wsText(i%1000+2, conn, c2s, "40"),
			wsText(i%1000+3, conn, s2c, fmt.Sprintf(`40{"sid":"n%07d"}`, i)),
		}) {
			tr.Observe(o, emit)
		}
	}
	now := ms(2000)
	b.ReportAllocs()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		tr.Tick(now, emit)
		n++
	}
	// On a shared machine wall time per op says little; CPU time does.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n)/1e6, "cpu-ms/tick")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// connectedPolling is a Tracker with the Engine that has seen a polling
// session through its handshake and CONNECT.
func connectedPolling() (*wire, *session.Tracker, func(event.Event)) {
	w := newWire()
	tr := session.NewTracker(session.Options{Diagnoser: New(Options{})})
	emit := func(event.Event) {}
	for _, o := range concat(w.polling(), []obs.Obs{
		w.post(6, 7, q4sid+"&t=b", "40"),
		w.get(6, 8, q4sid+"&t=c", 200, `40{"sid":"s0"}`),
	}) {
		tr.Observe(o, emit)
	}
	return w, tr, emit
}
