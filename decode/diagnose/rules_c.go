package diagnose

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// sessionUnknown handles code 1: C1 when the session was alive when the
// request started (the request reached a process that does not hold it),
// else a plain A fault.
func (e *Engine) sessionUnknown(x *obs.HTTPExchange, q eio.Query, s *session.Session, answer string, emit func(event.Event)) {
	line := httpLine(x)
	f := finding{sid: q.Sid, client: x.Client, at: x.End, evidence: []string{line}}
	start := x.Start
	if start.IsZero() {
		start = x.End
	}
	switch {
	case s == nil:
		f.code = CodeSessionUnknown
		f.summary = fmt.Sprintf("Session %s, unknown to sioproxy (opened before it started?), was answered %s", q.Sid, answer)
	case s.Closed && !(s.Close.Trigger == "session_unknown" && !s.Close.At.Before(start)):
		if !start.After(s.Close.At) {
			return // in flight when the session ended: the normal end of a poll
		}
		if s.Close.By == "client" && start.Sub(s.Close.At) < e.opts.Slack {
			// engine.io-client can start its next poll while its own close
			// packet is on the way; the 400 that answers it is harmless.
			return
		}
		f.code = CodeSessionUnknown
		f.summary = fmt.Sprintf("Session %s had already ended (%s, by %s) when its %s was answered %s", q.Sid, s.Close.Reason, s.Close.By, x.Method, answer)
	case e.silentSince(s, start) > 0:
		f.code = CodeSessionUnknown
		f.summary = fmt.Sprintf("Session %s had been silent for %s, longer than pingInterval+pingTimeout, when its %s was answered %s: the server had dropped it", q.Sid, dur(e.silentSince(s, start)), x.Method, answer)
	default:
		hs := e.host(x.Client)
		hs.unknownLive++
		f.code = CodeSessionUnknownLive
		where := ""
		if s.Upstream != "" {
			where = " on " + s.Upstream
		}
		other := ""
		if x.Upstream != "" && s.Upstream != "" && x.Upstream != s.Upstream {
			other = " by " + x.Upstream
		}
		f.summary = fmt.Sprintf("Session %s was alive (opened %s ago%s, last heartbeat %s ago) but its %s was answered %s%s: the request reached a server process that does not hold the session",
			q.Sid, dur(start.Sub(s.Opened)), where, dur(start.Sub(s.LastHeartbeat)), x.Method, answer, other)
		if hs.unknownLive >= 2 {
			f.summary += fmt.Sprintf("; %d sessions of this client ended this way: the load balancer has no session affinity", hs.unknownLive)
		}
		if s.Handshake != nil {
			f.evidence = []string{httpLine(s.Handshake), line}
		}
	}
	e.report(f, emit)
}

// silentSince returns how long past its heartbeat limit s was at t, 0 if
// it was within it (or has no timers).
func (e *Engine) silentSince(s *session.Session, t time.Time) time.Duration {
	if !s.HasOpen || s.Open.PingInterval+s.Open.PingTimeout <= 0 {
		return 0
	}
	last := s.LastHeartbeat
	if last.IsZero() {
		last = s.Opened
	}
	limit := msDur(s.Open.PingInterval+s.Open.PingTimeout) + e.opts.Slack
	if d := t.Sub(last); d > limit {
		return d
	}
	return 0
}

// checkUpstream is C2 with sioproxy balancing: a request of the session
// routed to another upstream than the one that opened it. It runs on the
// request start (when the proxy reports it) and on the finished exchange;
// one id counts once.
func (e *Engine) checkUpstream(ss *sidState, id uint64, what, url, upstream string, at time.Time, line func() string, emit func(event.Event)) {
	if ss.upstream == "" || upstream == "" || upstream == ss.upstream || (id != 0 && ss.c2Flagged == id) {
		return
	}
	ss.c2Flagged = id
	e.report(finding{
		code: CodeSidOtherUpstream, sid: ss.s.Sid, client: ss.client, at: at,
		summary:  fmt.Sprintf("Session %s was opened on %s but its %s was routed to %s, which does not know it", ss.s.Sid, ss.upstream, what, upstream),
		evidence: []string{"open from " + ss.upstream, line()},
	}, emit)
}

// checkBackend is C2 behind a single load balancer address: the backend
// identity headers or affinity cookies change within one session.
func (e *Engine) checkBackend(ss *sidState, x *obs.HTTPExchange, emit func(event.Event)) {
	if ss.backendFlagged || x.Status == 0 {
		return
	}
	var what string
	for k, v := range ss.ident {
		if cur := x.RespHeader.Get(k); cur != "" && cur != v {
			what = fmt.Sprintf("%s changed from %q to %q", k, clip(v, 60), clip(cur, 60))
			break
		}
	}
	if what == "" {
		for name, v := range affinityCookies(x.RespHeader.Values("Set-Cookie")) {
			if old, ok := ss.affinity[name]; ok && old != v && name != "io" && name != "sioproxy_upstream" {
				what = fmt.Sprintf("affinity cookie %s changed from %s to %s", name, clip(old, 40), clip(v, 40))
				break
			}
		}
	}
	if what == "" {
		return
	}
	ss.backendFlagged = true
	f := finding{
		code: CodeSidBackendChanged, sid: ss.s.Sid, client: ss.client, at: x.End,
		summary:  fmt.Sprintf("Session %s is served by several backends behind the load balancer: %s", ss.s.Sid, what),
		evidence: []string{httpLine(x)},
	}
	if x.Status == http.StatusBadRequest {
		f.summary += fmt.Sprintf(" and the request was answered %d", x.Status)
	}
	e.report(f, emit)
}
