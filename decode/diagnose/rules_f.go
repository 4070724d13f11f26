package diagnose

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// pinger is the side that sends pings: the server in v4, the client in v3.
func pinger(v eio.Version) (decode.Dir, string, string) {
	if v == eio.V3 {
		return decode.C2S, "client", "server"
	}
	return decode.S2C, "server", "client"
}

// checkHeartbeatDir is F1's wrong direction: a ping from the side that
// should only answer, or a pong from the side that pings.
func (e *Engine) checkHeartbeatDir(ev *event.Event, s *session.Session, emit func(event.Event)) {
	dir, pingSide, _ := pinger(s.EIO)
	wrong := (ev.Engine == "ping" && ev.Dir != dir.String()) || (ev.Engine == "pong" && ev.Dir == dir.String())
	if !wrong {
		return
	}
	from := "client"
	if ev.Dir == decode.S2C.String() {
		from = "server"
	}
	e.report(finding{
		code: CodeHeartbeatDirection, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("The %s sent a %s on session %s, but in %s only the %s pings: the peer closes with transport error (invalid heartbeat direction)", from, ev.Engine, s.Sid, s.EIO, pingSide),
		evidence: []string{packetLine(ev)},
	}, emit)
}

// tickHeartbeat is F1 before the close: a ping waiting for its pong longer
// than pingTimeout.
func (e *Engine) tickHeartbeat(now time.Time, ss *sidState, emit func(event.Event)) {
	s := ss.s
	if ss.f1 || s.Open.PingTimeout <= 0 {
		return
	}
	dir, _, _ := pinger(s.EIO)
	pt := msDur(s.Open.PingTimeout)
	for _, p := range s.PendingPings {
		if p.Dir == dir && now.Sub(p.At) > pt+e.opts.Slack {
			ss.f1 = true
			e.report(e.pongMissing(s, p, now), emit)
			return
		}
	}
}

func (e *Engine) pongMissing(s *session.Session, p session.Ping, at time.Time) finding {
	_, pingSide, other := pinger(s.EIO)
	return finding{
		code: CodePongMissing, sid: s.Sid, client: s.Client, at: at,
		summary: fmt.Sprintf("The %s pinged session %s at %s over %s and the %s did not answer within pingTimeout %d ms",
			pingSide, s.Sid, p.At.Format("15:04:05.000"), p.Transport, other, s.Open.PingTimeout),
	}
}

// heartbeatEnd is F1 for a session that ended with "ping timeout".
func (e *Engine) heartbeatEnd(ev *event.Event, ss *sidState, emit func(event.Event)) {
	s := ss.s
	if ss.f1 {
		return
	}
	ss.f1 = true
	dir, pingSide, other := pinger(s.EIO)
	for _, p := range s.PendingPings {
		if p.Dir == dir {
			e.report(e.pongMissing(s, p, ev.TS), emit)
			return
		}
	}
	last := s.LastPing
	what := "last ping at " + last.Format("15:04:05.000")
	if last.IsZero() {
		last, what = s.Opened, "no ping since the open"
	}
	f := finding{
		code: CodePingMissing, sid: s.Sid, client: s.Client, at: ev.TS,
		summary: fmt.Sprintf("The %s of session %s stopped pinging (%s, pingInterval+pingTimeout is %d ms), so the %s gives up",
			pingSide, s.Sid, what, s.Open.PingInterval+s.Open.PingTimeout, other),
	}
	if s.Transport == decode.Polling && len(s.Requests) > 0 {
		r := s.Requests[len(s.Requests)-1]
		if ev.TS.Sub(r.End) > msDur(s.Open.PingInterval) {
			f.summary += fmt.Sprintf("; the client stopped polling after %s (the ping waits for a GET)", r.End.Format("15:04:05.000"))
		}
	}
	e.report(f, emit)
}

// closeCut is F2: ages of sessions the server side cut without a close
// handshake; three within ±2 % of each other point to an intermediary's
// timeout.
func (e *Engine) closeCut(ev *event.Event, ss *sidState, emit func(event.Event)) {
	s := ss.s
	if s.Close.Trigger != "ws_close" || s.Close.By != "server" || s.Close.Reason == "ping timeout" {
		return
	}
	var c *session.Conn
	for _, x := range s.Conns {
		if x.ID == ev.Conn {
			c = x
		}
	}
	if c == nil || c.Closed == nil || c.Closed.Clean || c.CloseFrame[decode.S2C] != 0 {
		return
	}
	age := s.Close.At.Sub(c.Opened)
	if age < 2*time.Second {
		return
	}
	if len(e.cutAges) >= maxCutAges {
		copy(e.cutAges, e.cutAges[1:])
		e.cutAges = e.cutAges[:len(e.cutAges)-1]
	}
	e.cutAges = append(e.cutAges, cutAge{sid: s.Sid, age: age, idle: s.Close.Idle})
	var near []string
	var idles []time.Duration
	for _, a := range e.cutAges {
		d := a.age - age
		if d < 0 {
			d = -d
		}
		if d*50 <= age {
			near = append(near, fmt.Sprintf("session %s cut after %s, idle %s", a.sid, dur(a.age), dur(a.idle)))
			idles = append(idles, a.idle)
		}
	}
	if len(near) < 3 {
		return
	}
	f := finding{
		code: CodeConstantAgeCloses, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("%d WebSocket connections were cut on the server side without a close frame after %s (±2%%): %s", len(near), dur(age), idleVerdict(idles, age)),
		evidence: near[max(0, len(near)-4):],
	}
	if pp := msDur(s.Open.PingInterval + s.Open.PingTimeout); pp > 0 && age < pp {
		f.summary += fmt.Sprintf(", shorter than pingInterval+pingTimeout (%s)", dur(pp))
	}
	e.report(f, emit)
}

// checkPollCut is F2 on polling: a long-poll answered 502/504 (or cut)
// after a while by something between client and server.
func (e *Engine) checkPollCut(ss *sidState, x *obs.HTTPExchange, emit func(event.Event)) {
	if x.Method != http.MethodGet {
		return
	}
	cut := x.Status == http.StatusBadGateway || x.Status == http.StatusGatewayTimeout ||
		(x.Status == 0 && (x.ErrKind == "timeout" || x.ErrKind == "upstream_reset"))
	if !cut || x.Start.IsZero() {
		return
	}
	d := x.End.Sub(x.Start)
	if d < time.Second {
		return
	}
	s := ss.s
	f := finding{
		code: CodePollCut, sid: s.Sid, client: s.Client, at: x.End,
		summary:  fmt.Sprintf("The long-poll GET of session %s was cut after %s", s.Sid, dur(d)),
		evidence: []string{httpLine(x)},
	}
	if x.Status != 0 {
		f.summary += fmt.Sprintf(" with %d", x.Status)
	}
	if pi := msDur(s.Open.PingInterval); pi > 0 && d < pi {
		f.summary += fmt.Sprintf(": the intermediary's timeout is below pingInterval (%s), so every long-poll breaks", dur(pi))
	} else if pp := msDur(s.Open.PingInterval + s.Open.PingTimeout); pp > 0 && d < pp {
		f.summary += fmt.Sprintf(": the intermediary's timeout is below pingInterval+pingTimeout (%s)", dur(pp))
	} else {
		f.summary += ": an intermediary gave up on it"
	}
	e.report(f, emit)
}

// idleVerdict tells an idle timeout from an absolute one by the time each
// cut connection had carried no packet: an idle timeout cuts after the
// same silence (and the age follows from the traffic), an absolute one at
// the same age whatever the traffic just before.
func idleVerdict(idles []time.Duration, age time.Duration) string {
	lo, hi := idles[0], idles[0]
	for _, d := range idles {
		lo, hi = min(lo, d), max(hi, d)
	}
	switch {
	case hi-lo <= max(hi/20, 200*time.Millisecond) && hi*10 >= age*9:
		return fmt.Sprintf("each was idle for its whole last %s, so an intermediary's idle timeout (nginx proxy_read_timeout, a load balancer's idle timeout) cut it", dur(hi))
	case hi-lo <= max(hi/20, 200*time.Millisecond):
		return fmt.Sprintf("each had been idle %s when cut: an intermediary's idle timeout of about %s", dur(hi), dur(hi))
	}
	return fmt.Sprintf("the idle time before the cut varied (%s to %s), so it is an absolute timeout on the connection's age (a load balancer's maximum connection duration), not an idle timeout", dur(lo), dur(hi))
}
