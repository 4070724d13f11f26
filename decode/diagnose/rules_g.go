package diagnose

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// connectTimeout is socket.io's default: a session without CONNECT is
// closed after it.
const connectTimeout = 45 * time.Second

// sioPacket runs the Socket.IO rules on CONNECT, CONNECT_ERROR,
// DISCONNECT and binary packets.
func (e *Engine) sioPacket(ev *event.Event, s *session.Session, emit func(event.Event)) {
	c2s := ev.Dir == "c2s"
	switch ev.Type {
	case "CONNECT":
		ss := e.sid(s)
		if ss == nil {
			return
		}
		if !c2s {
			if ss.nsConnected == nil {
				ss.nsConnected = make(map[string]bool, 1)
			}
			if len(ss.nsConnected) < 64 {
				ss.nsConnected[ev.Nsp] = true
			}
			e.checkConnectReply(ev, s, emit)
			e.csrReply(ev, s, emit)
			e.dupConnected(ev, s, ss)
			return
		}
		e.csrConnect(ev, s, emit)
		if ss.nsConnected[ev.Nsp] {
			e.report(finding{
				code: CodeDuplicateConnect, sid: s.Sid, client: s.Client, at: ev.TS,
				summary:  fmt.Sprintf("The client sent CONNECT %s on session %s while that namespace was already connected: the server closes the session", ev.Nsp, s.Sid),
				evidence: []string{packetLine(ev)},
			}, emit)
		}
	case "DISCONNECT":
		if ss := e.sids[s.Sid]; ss != nil {
			delete(ss.nsConnected, ev.Nsp)
		}
	case "CONNECT_ERROR":
		if ss := e.sids[s.Sid]; ss != nil {
			delete(ss.nsConnected, ev.Nsp)
		}
		if !c2s {
			e.connectError(ev, s, emit)
		}
	case "BINARY_EVENT":
		if c2s {
			e.checkEventNamespace(ev, s, emit)
		}
	}
}

// connectError is G1 (namespace refused) or G2 (middleware refusal).
func (e *Engine) connectError(ev *event.Event, s *session.Session, emit func(event.Event)) {
	msg, data := connectErrorInfo(ev.Args)
	f := finding{sid: s.Sid, client: s.Client, at: ev.TS, evidence: []string{packetLine(ev)}}
	if msg == "Invalid namespace" {
		f.code = CodeNamespaceInvalid
		f.summary = fmt.Sprintf("The server refused namespace %s: Invalid namespace", ev.Nsp)
		if looksLikePath(ev.Nsp) {
			f.summary += fmt.Sprintf("; %s looks like a URL path, which belongs in the path option (io(url, {path: %q}))", ev.Nsp, strings.TrimSuffix(ev.Nsp, "/")+"/")
		}
	} else {
		f.code = CodeMiddlewareRefused
		switch {
		case msg != "" && len(data) > 0:
			f.summary = fmt.Sprintf("A middleware refused the connection to %s: %q with data %s", ev.Nsp, clip(msg, 100), clip(string(data), 100))
		case msg != "":
			f.summary = fmt.Sprintf("A middleware refused the connection to %s: %q", ev.Nsp, clip(msg, 100))
		default:
			f.summary = fmt.Sprintf("A middleware refused the connection to %s with %s", ev.Nsp, clip(orNone(string(data)), 100))
		}
		f.summary += "; the client will not reconnect by itself"
	}
	e.report(f, emit)
}

// connectErrorInfo reads a CONNECT_ERROR payload: {"message","data"}
// (protocol 5), a string, or err.data itself (protocol 4).
func connectErrorInfo(args json.RawMessage) (string, json.RawMessage) {
	var str string
	if json.Unmarshal(args, &str) == nil {
		return str, nil
	}
	var obj struct {
		Message *string         `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(args, &obj) == nil && obj.Message != nil {
		return *obj.Message, obj.Data
	}
	return "", args
}

// looksLikePath says whether a namespace is probably a path meant for the
// path option: nested, trailing slash, or naming socket.io.
func looksLikePath(nsp string) bool {
	return strings.Count(nsp, "/") > 1 || strings.Contains(nsp, "socket.io") || strings.Contains(nsp, ".")
}

// checkEventNamespace is G3: an EVENT for a namespace the client has not
// joined makes the server close the session.
func (e *Engine) checkEventNamespace(ev *event.Event, s *session.Session, emit func(event.Event)) {
	if s.Adopted || (s.EIO == eio.V3 && ev.Nsp == "/") {
		return
	}
	if ns := s.Namespace(ev.Nsp); ns != nil && (ns.State == "connected" || ns.State == "connecting") {
		return
	}
	e.report(finding{
		code: CodeEventUnjoined, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("The client sent %s %q to namespace %s of session %s without a CONNECT to it: the server closes the session", ev.Type, clip(ev.Event, 40), ev.Nsp, s.Sid),
		evidence: []string{packetLine(ev)},
	}, emit)
}

// tickConnect is G3: an open v4 session without any CONNECT after
// connectTimeout.
func (e *Engine) tickConnect(now time.Time, ss *sidState, emit func(event.Event)) {
	s := ss.s
	if ss.connectMissing || !s.SIO || s.EIO != eio.V4 || now.Sub(s.Opened) <= connectTimeout+e.opts.Slack {
		return
	}
	for _, n := range s.Namespaces {
		if !n.ConnectAt.IsZero() || n.State != "" {
			return
		}
	}
	ss.connectMissing = true
	e.report(finding{
		code: CodeConnectMissing, sid: s.Sid, client: s.Client, at: now,
		summary: fmt.Sprintf("Session %s has been open for %s without a CONNECT from the client (connectTimeout is %s): the server closes it (forced server close)", s.Sid, dur(now.Sub(s.Opened)), dur(connectTimeout)),
	}, emit)
}

// decodeError is G4: a packet of the session that does not decode. Errors
// of sioproxy's own capture limits are not faults of the wire.
func (e *Engine) decodeError(ev *event.Event, s *session.Session, emit func(event.Event)) {
	layer, _, _ := strings.Cut(ev.Error, ":")
	switch layer {
	case "eio", "eio3", "sio", "msgpack":
	default:
		return
	}
	from := "client"
	if ev.Dir == "s2c" {
		from = "server"
	}
	f := finding{
		code: CodeParseError, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("A packet from the %s of session %s does not decode: %s", from, s.Sid, clip(ev.Error, 200)),
		evidence: []string{fmt.Sprintf("%s %s: %s", ev.Transport, ev.Dir, clip(ev.Error, 150))},
	}
	switch {
	case strings.Contains(ev.Error, "placeholder"):
		f.summary += " (a BINARY packet whose JSON lacks its _placeholder objects: the socket.io 4.8.0 bundle bug)"
	case layer == "sio" && strings.Contains(ev.Error, "unknown packet type"):
		f.summary += " (is one side using a different parser, such as msgpack?)"
	}
	if ev.Dir == "c2s" {
		f.summary += "; the server closes the session"
	}
	e.report(f, emit)
}
