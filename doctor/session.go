package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// hsResult is one polling handshake, classified.
type hsResult struct {
	x         *exchange
	v         eio.Version
	path      string
	ok        bool
	open      eio.Handshake
	packets   []eio.Packet // the whole first payload (v3 adds the "40")
	code      int          // Engine.IO error code, -1 when not an error body
	msg       string
	v3Framing bool   // an EIO=4 request answered in v3 framing: a 2.x server
	notEIO    string // why the answer is not Engine.IO at all ("" if it is)
}

func pollTarget(path string, v eio.Version, sid string) string {
	q := "EIO=" + strconv.Itoa(int(v)) + "&transport=polling&t=" + cacheBuster()
	if sid != "" {
		q += "&sid=" + url.QueryEscape(sid)
	}
	return path + "?" + q
}

// handshake sends the first GET of a polling session and classifies it.
func (d *doctor) handshake(ctx context.Context, v eio.Version, path string, hdr http.Header) *hsResult {
	return classifyHandshake(d.do(ctx, "GET", pollTarget(path, v, ""), nil, hdr, 0), v, path)
}

// classifyHandshake reads a handshake answer: an open packet (in which
// framing), an Engine.IO error code, or something that is not Engine.IO.
// Any bytes a server sends end in one of these, never in a panic.
func classifyHandshake(x *exchange, v eio.Version, path string) *hsResult {
	r := &hsResult{x: x, v: v, path: path, code: -1}
	switch {
	case x.Status == 0:
		r.notEIO = "no response: " + esc(errString(x.Err))
	case x.Status == 200:
		ct := x.Header.Get("Content-Type")
		dv := v
		if sv, ok := eio.SniffVersion(x.Body, ct); ok && sv == eio.V3 && v == eio.V4 {
			r.v3Framing, dv = true, eio.V3
		} else if v == eio.V4 && len(x.Body) > 0 && (x.Body[0] == 0 || x.Body[0] == 1 || strings.HasPrefix(ct, "application/octet-stream")) {
			r.v3Framing, dv = true, eio.V3
		}
		ps, err := eio.DecodePayload(dv, x.Body, ct)
		if err != nil || len(ps) == 0 || ps[0].Type != eio.Open {
			r.notEIO = "200 but not an Engine.IO open packet"
			if err != nil {
				r.notEIO += " (" + esc(err.Error()) + ")"
			}
			return r
		}
		o, err := eio.ParseOpen(ps[0].Data)
		if err != nil {
			r.notEIO = "open packet does not parse: " + esc(err.Error())
			return r
		}
		r.ok, r.open, r.packets = true, o, ps
	case x.Status == 400 || x.Status == 403:
		var body struct {
			Code    *int   `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(x.Body, &body) == nil && body.Code != nil {
			r.code, r.msg = *body.Code, body.Message
			return r
		}
		r.notEIO = fmt.Sprintf("%d without an Engine.IO error body", x.Status)
	default:
		r.notEIO = fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status))
	}
	return r
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// session is an open Engine.IO session used by a probe: polling until
// upgraded, or WebSocket-only.
type session struct {
	d      *doctor
	v      eio.Version
	path   string
	sid    string
	open   eio.Handshake
	hdr    http.Header // Origin, Cookie… sent on every request
	first  []eio.Packet
	ws     *wsConn
	closed bool
}

// newSession opens a polling session (or a WebSocket-only one when polling
// is not among the transports) with the engine's version and path.
func (d *doctor) newSession(ctx context.Context, e *engine, hdr http.Header) (*session, *exchange, error) {
	s := &session{d: d, v: e.v, path: e.path, hdr: hdr.Clone()}
	if s.hdr == nil {
		s.hdr = http.Header{}
	}
	if !e.polling {
		ws, x, err := d.wsDial(ctx, e.path, e.v, "", s.hdr, false)
		if err != nil {
			return nil, x, err
		}
		ps, err := ws.recv(ctx, d.opts.Timeout)
		if err != nil {
			ws.close()
			return nil, x, fmt.Errorf("no open packet over WebSocket: %w", err)
		}
		if ps[0].Type != eio.Open {
			ws.close()
			return nil, x, fmt.Errorf("first WebSocket message is %s, not open", ps[0].Type)
		}
		o, err := eio.ParseOpen(ps[0].Data)
		if err != nil {
			ws.close()
			return nil, x, err
		}
		s.ws, s.sid, s.open, s.first = ws, o.Sid, o, ps[1:]
		return s, x, nil
	}
	r := d.handshake(ctx, e.v, e.path, s.hdr)
	if !r.ok {
		return nil, r.x, fmt.Errorf("handshake refused: %s", r.describe())
	}
	s.sid, s.open, s.first = r.open.Sid, r.open, r.packets[1:]
	s.takeCookies(r.x)
	return s, r.x, nil
}

func (r *hsResult) describe() string {
	switch {
	case r.ok:
		return "open, sid " + esc(r.open.Sid)
	case r.code >= 0:
		return fmt.Sprintf("code %d %q", r.code, esc(r.msg))
	}
	return r.notEIO
}

// takeCookies keeps Set-Cookie values to send back, as a browser with
// withCredentials (or a cookie-aware Node client) would.
func (s *session) takeCookies(x *exchange) {
	if x == nil || x.Header == nil {
		return
	}
	resp := http.Response{Header: x.Header}
	cs := resp.Cookies()
	if len(cs) == 0 {
		return
	}
	have := map[string]string{}
	for _, kv := range strings.Split(s.hdr.Get("Cookie"), "; ") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			have[k] = v
		}
	}
	for _, c := range cs {
		have[c.Name] = c.Value
	}
	var parts []string
	for k, v := range have {
		parts = append(parts, k+"="+v)
	}
	s.hdr.Set("Cookie", strings.Join(parts, "; "))
}

func (s *session) encode(ps []eio.Packet) []byte {
	if s.v == eio.V3 {
		return eio.EncodePayloadV3(ps, false)
	}
	return eio.EncodePayloadV4(ps)
}

// errNotOK is a POST not answered 200 "ok".
var errNotOK = errors.New("POST not answered 200 ok")

// post sends packets on the polling transport.
func (s *session) post(ctx context.Context, ps ...eio.Packet) (*exchange, error) {
	x := s.d.do(ctx, "POST", pollTarget(s.path, s.v, s.sid), s.encode(ps), s.hdr, 0)
	s.takeCookies(x)
	if x.Status != 200 || string(x.Body) != "ok" {
		return x, fmt.Errorf("%w: %s", errNotOK, x.response())
	}
	return x, nil
}

// poll sends one GET and decodes what it returns; hold bounds a parked GET.
func (s *session) poll(ctx context.Context, hold time.Duration) ([]eio.Packet, *exchange, error) {
	x := s.d.do(ctx, "GET", pollTarget(s.path, s.v, s.sid), nil, s.hdr, hold)
	s.takeCookies(x)
	if x.Status != 200 {
		if x.Status == 0 {
			return nil, x, x.Err
		}
		return nil, x, fmt.Errorf("GET answered %s", x.response())
	}
	ps, err := eio.DecodePayload(s.v, x.Body, x.Header.Get("Content-Type"))
	if err != nil {
		return nil, x, fmt.Errorf("payload does not decode: %v", err)
	}
	return ps, x, nil
}

// send sends packets on the session's current transport.
func (s *session) send(ctx context.Context, ps ...eio.Packet) (*exchange, error) {
	if s.ws != nil {
		return nil, s.ws.send(s.v, ps...)
	}
	return s.post(ctx, ps...)
}

// recv returns the next packets from the session's current transport,
// first the ones that came with the handshake.
func (s *session) recv(ctx context.Context, hold time.Duration) ([]eio.Packet, *exchange, error) {
	if len(s.first) > 0 {
		ps := s.first
		s.first = nil
		return ps, nil, nil
	}
	if s.ws != nil {
		ps, err := s.ws.recv(ctx, hold)
		return ps, nil, err
	}
	return s.poll(ctx, hold)
}

// close ends the session politely (a close packet), so probes leave no
// sessions waiting for their ping timeout on the server.
func (s *session) close(ctx context.Context) {
	if s == nil || s.closed {
		return
	}
	s.closed = true
	if s.ws != nil {
		s.ws.send(s.v, eio.Packet{Type: eio.Close})
		s.ws.close()
		return
	}
	s.d.do(ctx, "POST", pollTarget(s.path, s.v, s.sid), s.encode([]eio.Packet{{Type: eio.Close}}), s.hdr, 0)
}
