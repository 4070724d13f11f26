package diagnose

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func hasUpgradeHeaders(h http.Header) bool {
	return strings.EqualFold(h.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(h.Get("Connection")), "upgrade")
}

// upgradeStripped is D1 from a 400 code 3 to a WebSocket request: the
// server saw no Upgrade headers.
func (e *Engine) upgradeStripped(x *obs.HTTPExchange, answer string, emit func(event.Event)) {
	where := "sioproxy forwarded them, so an intermediary between sioproxy and the server dropped them"
	if !hasUpgradeHeaders(x.ReqHeader) {
		where = "the request reached sioproxy without them, so the client or an intermediary in front of sioproxy dropped them"
	}
	e.report(finding{
		code: CodeUpgradeStripped, sid: sidOf(x.URL), client: x.Client, at: x.End,
		summary:  fmt.Sprintf("The WebSocket request was answered %s: the server got no Upgrade/Connection headers; %s", answer, where),
		evidence: []string{httpLine(x), "request Upgrade: " + orNone(x.ReqHeader.Get("Upgrade")) + ", Connection: " + orNone(x.ReqHeader.Get("Connection"))},
	}, emit)
}

// checkUpgradeRefused is D1 for a WebSocket request answered anything but
// 101 that no other rule explained.
func (e *Engine) checkUpgradeRefused(x *obs.HTTPExchange, q eio.Query, s *session.Session, emit func(event.Event)) {
	if x.Status == http.StatusSwitchingProtocols || x.Method != http.MethodGet {
		return
	}
	f := finding{code: CodeUpgradeRefused, sid: q.Sid, client: x.Client, at: x.End, evidence: []string{httpLine(x)}}
	switch {
	case x.Status == 0:
		if x.ErrKind == "dial" || x.ErrKind == "client_gone" || x.ErrKind == "" {
			return
		}
		// engine.io ends upgrades on a path it does not serve after 1 s
		// without a byte.
		f.code = CodePathMismatch
		f.summary = fmt.Sprintf("The WebSocket upgrade on %s got no answer (%s): the server drops upgrades on a path it does not serve", pathOf(x.URL), x.ErrKind)
	case !hasUpgradeHeaders(x.ReqHeader):
		f.summary = fmt.Sprintf("The WebSocket request reached sioproxy without Upgrade: websocket and was answered %d: an intermediary in front of sioproxy dropped the upgrade", x.Status)
	default:
		f.summary = fmt.Sprintf("The WebSocket upgrade was answered %d %s instead of 101: an intermediary (or the server) does not pass WebSocket upgrades", x.Status, snippet(x.RespBody))
	}
	e.report(f, emit)
}

func pathOf(url string) string {
	p, _, _ := strings.Cut(url, "?")
	return clip(p, maxURL)
}

// looksHTML says whether a body is an HTML page rather than an Engine.IO
// payload (which never starts with '<').
func looksHTML(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '<'
}

// checkPath is D3: Engine.IO requests on a path the server does not serve.
func (e *Engine) checkPath(x *obs.HTTPExchange, path string, q eio.Query, emit func(event.Event)) bool {
	if !q.HasEIO || q.Transport == "" || x.Method != http.MethodGet {
		return false
	}
	if x.Status != http.StatusNotFound && !(x.Status == http.StatusOK && looksHTML(x.RespBody)) {
		return false
	}
	what := "404"
	if x.Status == http.StatusOK {
		what = "200 with an HTML page"
	}
	hint := ""
	for _, p := range e.opts.Paths {
		switch {
		case path+"/" == p:
			hint = fmt.Sprintf("; the server expects %s with a trailing slash (addTrailingSlash)", p)
		case path == p:
			hint = fmt.Sprintf("; if the server sets addTrailingSlash: false it expects %s", strings.TrimSuffix(p, "/"))
		}
	}
	e.report(finding{
		code: CodePathMismatch, sid: q.Sid, client: x.Client, at: x.End,
		summary:  fmt.Sprintf("The Engine.IO request on path %s was answered %s: no Engine.IO server listens on that path%s", clip(path, 80), what, hint),
		evidence: []string{httpLine(x)},
		fix: fmt.Sprintf("The client asks for %s on %s: use one path on both sides, `new Server(httpServer, {path: %q})` or `io(url, {path: \"/socket.io/\"})` on the client, and the same prefix in a reverse proxy's location (mind the trailing slash: addTrailingSlash).",
			clip(path, 80), e.serverURL(x), strings.TrimSuffix(clip(path, 80), "/")),
	}, emit)
	return true
}

// checkMixedContent is D4: an https page talking to sioproxy's plaintext
// listener (browsers block that except to localhost).
func (e *Engine) checkMixedContent(h http.Header, client, sid string, at time.Time, line func() string, emit func(event.Event)) {
	if e.opts.ListenTLS || e.opts.Forward || h == nil || strings.EqualFold(h.Get("X-Forwarded-Proto"), "https") {
		return
	}
	src, val := "Origin", h.Get("Origin")
	if !strings.HasPrefix(val, "https://") {
		src, val = "Referer", h.Get("Referer")
		if !strings.HasPrefix(val, "https://") {
			return
		}
	}
	e.report(finding{
		code: CodeMixedContent, sid: sid, client: client, at: at,
		summary:  fmt.Sprintf("A page from %s (%s) talks to sioproxy's plaintext listener: browsers block http:// and ws:// requests from https pages except to localhost", clip(val, 80), src),
		evidence: []string{line()},
	}, emit)
}

// tickUpgrade runs D2 (probe unanswered, upgrade not completed) and the
// stuck-on-polling warning for a live session.
func (e *Engine) tickUpgrade(now time.Time, ss *sidState, emit func(event.Event)) {
	s := ss.s
	for _, c := range s.Conns {
		if !c.Probe || !c.Upgraded.IsZero() || slices.Contains(ss.probeFlagged, c.ID) {
			continue
		}
		f := finding{sid: s.Sid, client: s.Client, at: now}
		switch {
		case !c.ProbeSent.IsZero() && c.ProbeAnswered.IsZero() && (now.Sub(c.ProbeSent) >= session.UpgradeTimeout+e.opts.Slack || c.Closed != nil):
			// A busy server can take more than a second to answer 2probe;
			// a middlebox that holds frames holds them until the server's
			// upgradeTimeout closes the socket, so wait that long (or for
			// the close) before blaming the path.
			f.code = CodeProbeUnanswered
			f.summary = fmt.Sprintf("The client sent 2probe on WebSocket #%d of session %s %s ago and the server never answered 3probe: the frames are not relayed", c.ID, s.Sid, dur(now.Sub(c.ProbeSent)))
			f.evidence = []string{frameLine(c.ID, decode.C2S.String(), "2probe")}
		case !c.ProbeAnswered.IsZero() && (now.Sub(c.ProbeAnswered) >= session.UpgradeTimeout+e.opts.Slack || c.Closed != nil):
			f.code = CodeUpgradeIncomplete
			f.summary = fmt.Sprintf("Session %s got 3probe on WebSocket #%d but the client never sent 5 (upgradeTimeout is %s); the session stays on polling", s.Sid, c.ID, dur(session.UpgradeTimeout))
			f.evidence = []string{frameLine(c.ID, decode.S2C.String(), "3probe")}
		default:
			continue
		}
		if len(ss.probeFlagged) < 16 {
			ss.probeFlagged = append(ss.probeFlagged, c.ID)
		}
		e.report(f, emit)
	}
	if ss.stuck || e.opts.StuckAfter < 0 || s.HandshakeTransport != decode.Polling || s.Upgrade != session.StatePolling ||
		!slices.Contains(s.Open.Upgrades, "websocket") || len(s.Conns) > 0 ||
		now.Sub(s.Opened) < e.opts.StuckAfter || s.RequestCount < e.opts.StuckPolls {
		return
	}
	ss.stuck = true
	e.report(finding{
		code: CodeStuckOnPolling, sid: s.Sid, client: s.Client, at: now,
		summary: fmt.Sprintf("Session %s is still on long-polling after %s and %d requests although the server offers the WebSocket upgrade; the client never tried it", s.Sid, dur(now.Sub(s.Opened)), s.RequestCount),
	}, emit)
}
