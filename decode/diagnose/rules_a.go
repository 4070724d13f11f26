package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// errMessages are engine.io's error messages; a refused WebSocket upgrade
// carries only the text.
var errMessages = map[string]int{
	"Transport unknown":            0,
	"Session ID unknown":           1,
	"Bad handshake method":         2,
	"Bad request":                  3,
	"Forbidden":                    4,
	"Unsupported protocol version": 5,
}

// parseError reads an Engine.IO error answer: JSON {"code":N,"message":…}
// on polling, the bare message on a refused WebSocket upgrade.
func parseError(x *obs.HTTPExchange, ws bool) (code int, msg string, ok bool) {
	if x.Status != http.StatusBadRequest && x.Status != http.StatusForbidden {
		return 0, "", false
	}
	if c, m, ok := session.ParseHTTPError(x.RespBody, x.RespHeader.Get("Content-Type")); ok && c >= 0 && c <= 5 {
		return c, m, true
	}
	if !ws || len(x.RespBody) > 200 {
		return 0, "", false
	}
	text := strings.TrimSpace(string(x.RespBody))
	if c, ok := errMessages[text]; ok {
		return c, text, true
	}
	if x.Status == http.StatusForbidden && text != "" && !strings.HasPrefix(text, "<") {
		return 4, text, true // an allowRequest reason replaces the message
	}
	return 0, "", false
}

// handshakeError dispatches an Engine.IO error answer (catalogue A) to the
// rule that explains its cause, and reports whether it was one.
func (e *Engine) handshakeError(x *obs.HTTPExchange, q eio.Query, s *session.Session, ws bool, emit func(event.Event)) bool {
	code, msg, ok := parseError(x, ws)
	if !ok {
		return false
	}
	line := httpLine(x)
	answer := fmt.Sprintf("%d %s", x.Status, msg)
	f := finding{sid: q.Sid, client: x.Client, at: x.End, evidence: []string{line}}
	switch code {
	case 0:
		f.code = CodeTransportUnknown
		switch q.Transport {
		case "polling":
			f.summary = fmt.Sprintf("The server refused transport=polling with %s: it accepts only WebSocket (transports: [\"websocket\"]) while the client starts with polling", answer)
		case "websocket":
			f.summary = fmt.Sprintf("The server refused transport=websocket with %s: WebSocket is not enabled in its transports", answer)
		case "":
			f.summary = fmt.Sprintf("%s has no transport parameter and was answered %s", x.Method, answer)
		default:
			f.summary = fmt.Sprintf("The server does not know transport=%s and answered %s", clip(q.Transport, 40), answer)
		}
	case 1:
		e.sessionUnknown(x, q, s, answer, emit)
		return true
	case 2:
		if x.Method == http.MethodOptions {
			f.code = CodePreflightNoCORS
			f.summary = fmt.Sprintf("The CORS preflight OPTIONS from Origin %s was answered %s: the server has no cors option, so the browser blocks the request", originOf(x), answer)
			if org := x.ReqHeader.Get("Origin"); org != "" {
				f.fix = e.preflightFix(x, org, preflightHeaders(x))
			}
		} else {
			f.code = CodeBadHandshakeMethod
			f.summary = fmt.Sprintf("A %s without sid was answered %s: a session must start with a GET", x.Method, answer)
		}
	case 3:
		switch {
		case ws:
			e.upgradeStripped(x, answer, emit)
			return true
		case q.Sid != "" && s != nil && s.Upgrade == session.StateWebSocket:
			f.code = CodeTransportMismatch
			f.summary = fmt.Sprintf("A polling %s for session %s came after the session upgraded to WebSocket and was answered %s", x.Method, q.Sid, answer)
		default:
			f.code = CodeBadRequest
			f.summary = fmt.Sprintf("%s was answered %s", x.Method, answer)
		}
	case 4:
		f.code = CodeForbidden
		f.summary = fmt.Sprintf("The server's allowRequest refused the %s from %s with %s", x.Method, hostOf(x.Client), answer)
	case 5:
		f.code = CodeEIO3Rejected
		v := "no EIO parameter"
		if q.HasEIO {
			v = "EIO=" + clip(q.EIO, 10)
		}
		f.summary = fmt.Sprintf("The client asked with %s (a Socket.IO 2.x client) and the server answered %s: allowEIO3 is off", v, answer)
	}
	e.report(f, emit)
	return true
}

func originOf(x *obs.HTTPExchange) string {
	if o := x.ReqHeader.Get("Origin"); o != "" {
		return o
	}
	return "(none)"
}
