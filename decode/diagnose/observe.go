package diagnose

import (
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// observeHTTP runs the rules on a finished HTTP exchange: handshake
// errors, CORS, path, upgrade refusals, and the per-session request rules.
func (e *Engine) observeHTTP(o obs.Obs, s *session.Session, emit func(event.Event)) {
	x := o.HTTP
	path, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	// In reverse mode every request goes to the app's server; in forward
	// mode only Engine.IO traffic is about the app (a browser also fetches
	// from hosts that may not resolve here).
	if x.ErrKind == "dial" && (!e.opts.Forward || q.HasEIO || q.Transport != "" || q.Sid != "") {
		e.upstreamDown(x, emit)
	}
	if !q.HasEIO && q.Transport == "" && q.Sid == "" {
		return // not Engine.IO traffic (pages, bundles, health checks)
	}
	if q.Sid == "" && x.Method == "GET" && x.ErrKind != "client_gone" {
		// A handshake; a WebSocket one that worked is counted when its
		// session opens.
		failed := x.Status == 0 || x.Status >= 400
		if failed || q.Transport != "websocket" {
			status := strconv.Itoa(x.Status)
			if x.Status == 0 {
				status = orNone(x.ErrKind)
			}
			e.handshakeAttempt(x.Start, x.End, x.Client, failed, status, emit)
		}
	}
	if x.ErrKind == "tls" {
		e.httpTLS(x, emit)
		return
	}
	ws := q.Transport == "websocket"
	var ss *sidState
	if q.Sid != "" && s != nil && s.Sid == q.Sid {
		ss = e.sid(s)
	}
	if ss != nil {
		e.checkUpstream(ss, x.ID, x.Method, x.URL, x.Upstream, o.Time, func() string { return httpLine(x) }, emit)
	}
	if e.handshakeError(x, q, s, ws, emit) {
		return
	}
	if x.Method == "OPTIONS" {
		e.checkPreflight(x, emit)
		return
	}
	if e.checkPath(x, path, q, emit) {
		return
	}
	if q.Sid == "" {
		e.checkMixedContent(x.ReqHeader, x.Client, "", o.Time, func() string { return httpLine(x) }, emit)
	}
	if ws {
		e.checkUpgradeRefused(x, q, s, emit)
		return
	}
	sid := q.Sid
	if sid == "" && s != nil {
		sid = s.Sid // a handshake: the session its answer opened
	}
	e.checkCORS(x, sid, q.Sid == "", emit)
	if ss == nil {
		return
	}
	e.checkBackend(ss, x, emit)
	e.checkCookies(ss, x.ID, x.Start, x.ReqHeader.Get("Cookie"), path, x.Upstream, func() string { return httpLine(x) }, emit)
	e.checkPostSize(ss, x, emit)
	e.checkOverlap(ss, x, emit)
	e.checkPollCut(ss, x, emit)
}

// observeStart sees a request as soon as it is routed (C2 before the 400).
func (e *Engine) observeStart(o obs.Obs, emit func(event.Event)) {
	x := o.HTTP
	_, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	if q.Sid == "" {
		return
	}
	if ss := e.sids[q.Sid]; ss != nil {
		e.checkUpstream(ss, x.ID, x.Method, x.URL, x.Upstream, o.Time, func() string { return httpLine(x) }, emit)
	}
}

func (e *Engine) observeWSOpen(o obs.Obs, s *session.Session, emit func(event.Event)) {
	x := o.WSOpen
	line := func() string { return wsOpenLine(x) }
	if sidOf(x.URL) == "" {
		e.checkMixedContent(x.ReqHeader, x.Client, "", o.Time, line, emit)
		return
	}
	ss := e.sid(s)
	if ss == nil {
		return
	}
	e.checkUpstream(ss, x.Conn, "WebSocket upgrade", x.URL, x.Upstream, o.Time, line, emit)
	path, _, _ := strings.Cut(x.URL, "?")
	e.checkCookies(ss, x.Conn, x.Start, x.ReqHeader.Get("Cookie"), path, x.Upstream, line, emit)
}
