package session

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// http handles one finished HTTP exchange: a polling handshake, a GET or
// POST of a known sid, or anything else (an "http" event only).
func (t *Tracker) http(o obs.Obs) {
	x := o.HTTP
	if x.Active != nil && x.Active.Dropped {
		t.pollDropped(o) // inject.go
		return
	}
	end := x.End
	if end.IsZero() {
		end = o.Time
	}
	path, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	hev := event.Event{
		TS: end, Kind: event.KindHTTP, Method: x.Method, Path: x.URL, Status: x.Status,
		Client: x.Client, Exchange: x.ID, Upstream: x.Upstream,
	}
	if !x.Start.IsZero() {
		hev.DurationMs = msSince(x.Start, end)
	}
	if x.Err != "" {
		hev.Error = x.Err
		if x.ErrKind != "" {
			hev.Error = x.ErrKind + ": " + x.Err
		}
	}
	if !t.isEIO(path, q) {
		t.forward(hev)
		return
	}
	hev.Transport = decode.Polling.String()
	if q.Transport == "websocket" {
		hev.Transport = decode.WebSocket.String()
	}
	if q.Sid == "" {
		t.handshake(x, path, q, hev, end)
		return
	}
	hev.Sid = q.Sid
	s := t.sessions[q.Sid]
	if s == nil {
		if x.Status != http.StatusOK || q.Transport == "websocket" {
			t.forward(hev)
			return
		}
		// Seen mid-flight: adopt it so its packets still decode.
		v := q.Version()
		if sv, ok := eio.SniffVersion(x.RespBody, x.RespHeader.Get("Content-Type")); ok && x.Method == http.MethodGet && !q.HasEIO {
			v = sv
		}
		s = t.newSession(q.Sid, v, q, path, x.Client, x.Start)
		s.Adopted = true
	}
	t.cur = s
	hev.EIO = int(s.EIO)
	s.touch(end)
	s.addUpstream(x.Upstream)
	req := Request{
		Exchange: x.ID, Method: x.Method, Start: x.Start, End: end, Status: x.Status, Upstream: x.Upstream,
		Cookie: x.ReqHeader.Get("Cookie"), SetCookie: x.RespHeader.Values("Set-Cookie"), Err: x.Err, ErrKind: x.ErrKind,
	}
	ok2xx := x.Status >= 200 && x.Status < 300
	if n, ok := t.early[x.ID]; ok {
		delete(t.early, x.ID)
		req.Packets = n
	} else if x.Method == http.MethodPost && ok2xx && !s.Closed {
		req.Packets = t.pollBody(s, decode.C2S, x, x.ReqBody, x.ReqHeader, x.ReqTrunc, x.ReqLen, q, x.Start)
	}
	t.emit(s, hev)
	if x.Method == http.MethodGet && x.Status == http.StatusOK && !s.Closed {
		req.Packets = t.pollBody(s, decode.S2C, x, x.RespBody, x.RespHeader, x.RespTrunc, x.RespLen, q, end)
	}
	s.addRequest(req, t.opts.MaxHistory)
	t.pollOutcome(s, x, end)
}

// pollOutcome closes a polling session that an HTTP failure ended.
func (t *Tracker) pollOutcome(s *Session, x *obs.HTTPExchange, end time.Time) {
	if s.Closed {
		return
	}
	if code, _, ok := ParseHTTPError(x.RespBody, x.RespHeader.Get("Content-Type")); ok && code == 1 && x.Status == http.StatusBadRequest {
		// The server (or the node the balancer picked) does not know the
		// sid: for the client the session is over.
		t.closeSession(s, CloseInfo{At: end, Reason: "transport error", By: "server", Trigger: "session_unknown", How: "400 Session ID unknown"}, decode.Polling, x.ID, 0)
		return
	}
	if x.Err != "" && s.Transport == decode.Polling {
		ci := CloseInfo{At: end, Reason: "transport error", By: "server", Trigger: "http_error", How: "HTTP " + x.ErrKind}
		if x.Status != 0 {
			ci.How = "HTTP " + strconv.Itoa(x.Status)
		}
		switch x.ErrKind {
		case "client_gone":
			ci.Reason, ci.By, ci.How = "transport close", "client", "client went away mid-request"
		case "client_abort", "client_bad_request":
			ci.By = "client"
		}
		t.closeSession(s, ci, decode.Polling, x.ID, 0)
	}
}

// handshake handles a request without sid: a 200 GET whose body starts with
// an open packet creates the session.
func (t *Tracker) handshake(x *obs.HTTPExchange, path string, q eio.Query, hev event.Event, end time.Time) {
	if x.Method != http.MethodGet || x.Status != http.StatusOK || q.Transport == "websocket" {
		t.forward(hev)
		return
	}
	ct := x.RespHeader.Get("Content-Type")
	body, err := t.prepare(x.RespBody, x.RespHeader, x.RespTrunc, x.RespLen, q, false)
	if err != nil {
		t.forward(hev)
		t.markError(nil, end, decode.Polling, decode.S2C, err, x.ID, 0)
		return
	}
	v := q.Version()
	if sv, ok := eio.SniffVersion(body, ct); ok && (sv != v || !q.HasEIO) {
		v = sv
	}
	pkts, perr := eio.DecodePayload(v, body, ct)
	if len(pkts) == 0 || pkts[0].Type != eio.Open {
		t.forward(hev)
		if perr == nil {
			perr = decode.Errorf(v.String(), 0, "handshake answer does not start with an open packet")
		}
		t.markError(nil, end, decode.Polling, decode.S2C, perr, x.ID, 0)
		return
	}
	open, oerr := eio.ParseOpen(pkts[0].Data)
	if oerr != nil {
		t.forward(hev)
		t.markError(nil, end, decode.Polling, decode.S2C, oerr, x.ID, 0)
		return
	}
	s := t.newSession(open.Sid, v, q, path, x.Client, end)
	t.cur = s
	s.Handshake = x
	s.Upstream = x.Upstream
	s.addUpstream(x.Upstream)
	s.SetCookie = x.RespHeader.Values("Set-Cookie")
	hev.Sid, hev.EIO = s.Sid, int(v)
	t.emit(s, hev)
	t.opened(s, open, pkts[0].Data, decode.Polling, end, x.ID, 0)
	n := 0
	for i := range pkts {
		raw, size := t.rawPolling(v, pkts[i], isXHR2(body, ct))
		t.packet(s, decode.S2C, decode.Polling, pkts[i], raw, size, end, x.ID, 0)
		n++
	}
	if perr != nil {
		t.markError(s, end, decode.Polling, decode.S2C, perr, x.ID, 0)
	}
	s.addRequest(Request{
		Exchange: x.ID, Method: x.Method, Start: x.Start, End: end, Status: x.Status, Upstream: x.Upstream,
		Cookie: x.ReqHeader.Get("Cookie"), SetCookie: s.SetCookie, Packets: n,
	}, t.opts.MaxHistory)
}

// opened records the open packet's parameters and emits "session open".
func (t *Tracker) opened(s *Session, open eio.Handshake, raw []byte, tr decode.Transport, at time.Time, exchange, conn uint64) {
	s.Open, s.HasOpen, s.OpenRaw = open, true, raw
	s.HandshakeTransport, s.Transport = tr, tr
	if tr == decode.WebSocket {
		s.Upgrade = StateWebSocket
	}
	s.Opened, s.LastHeartbeat = at, at
	s.touch(at)
	t.emit(s, event.Event{
		TS: at, Kind: event.KindSession, Action: "open", Sid: s.Sid, Transport: tr.String(), EIO: int(s.EIO),
		Client: s.Client, Path: s.Path, Upgrades: open.Upgrades, PingInterval: open.PingInterval,
		PingTimeout: open.PingTimeout, MaxPayload: open.MaxPayload, Exchange: exchange, Conn: conn,
	})
}

// pollBody decodes one polling body in direction dir and returns how many
// Engine.IO packets it held.
func (t *Tracker) pollBody(s *Session, dir decode.Dir, x *obs.HTTPExchange, body []byte, h http.Header, trunc bool, full int64, q eio.Query, at time.Time) int {
	body, err := t.prepare(body, h, trunc, full, q, dir == decode.C2S)
	if err != nil {
		t.markError(s, at, decode.Polling, dir, err, x.ID, 0)
		return 0
	}
	ct := h.Get("Content-Type")
	if dir == decode.C2S && len(body) == 0 {
		return 0
	}
	if !isXHR2(body, ct) {
		body = t.validText(s, at, decode.Polling, dir, "polling body", body, x.ID, 0)
	}
	// Without a consumer of the bytes, base64 records whose text is what
	// the --json stand-in would hold stay undecoded (see OmitBinaryRaw).
	pkts, perr := eio.AppendPayloadWith(nil, s.EIO, body, ct, eio.PayloadOptions{KeepBase64: t.noBinaryRaw})
	xhr2 := isXHR2(body, ct)
	for i := range pkts {
		raw, size := t.rawPolling(s.EIO, pkts[i], xhr2)
		t.packet(s, dir, decode.Polling, pkts[i], raw, size, at, x.ID, 0)
	}
	if perr != nil {
		t.markError(s, at, decode.Polling, dir, perr, x.ID, 0)
	}
	return len(pkts)
}

// prepare turns a captured body into an Engine.IO payload: whole, inflated
// and unwrapped from JSONP.
func (t *Tracker) prepare(body []byte, h http.Header, trunc bool, full int64, q eio.Query, request bool) ([]byte, error) {
	if trunc {
		return nil, decode.Errorf("http", len(body), "body captured only to %d of %d bytes; not decoded", len(body), full)
	}
	if enc := h.Get("Content-Encoding"); enc != "" {
		b, err := eio.Inflate(body, enc, t.opts.MaxBody)
		if err != nil {
			return nil, err
		}
		body = b
	}
	mt, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	switch {
	case request && (q.HasJSONP || strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")):
		return eio.UnwrapForm(body)
	case !request && q.HasJSONP:
		p, _, err := eio.UnwrapJSONP(body)
		return p, err
	}
	return body, nil
}

// isXHR2 mirrors eio's choice of the v3 binary payload form.
func isXHR2(body []byte, ct string) bool {
	if len(body) > 0 && (body[0] == 0 || body[0] == 1) {
		return true
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/octet-stream")
}

// rawPolling rebuilds a polling packet's wire form (eio hands back decoded
// packets, not their spans) and returns it with its size. With
// OmitBinaryRaw, a binary packet's form is only measured.
func (t *Tracker) rawPolling(v eio.Version, p eio.Packet, xhr2 bool) ([]byte, int) {
	if t.noBinaryRaw && p.Binary {
		return nil, binaryPollingSize(v, p, xhr2)
	}
	var b []byte
	if p.Binary && xhr2 {
		b, _ = eio.EncodePacket(eio.V3, p)
	} else {
		b = eio.EncodePacketBase64(v, p)
	}
	return b, len(b)
}

// binaryPollingSize is len of rawPolling's form of a binary packet: an
// XHR2 record is the type byte and the data; a base64 record is "b", the
// type digit before Engine.IO v4, and the padded base64.
func binaryPollingSize(v eio.Version, p eio.Packet, xhr2 bool) int {
	if xhr2 {
		return 1 + p.Len()
	}
	n := 1 + base64.StdEncoding.EncodedLen(p.Len())
	if v == eio.V3 {
		n++
	}
	return n
}

// ParseHTTPError reads an Engine.IO error answer {"code":N,"message":"…"}
// (polling, Content-Type application/json). ok is false for anything else.
func ParseHTTPError(body []byte, contentType string) (code int, message string, ok bool) {
	if len(body) == 0 || len(body) > 4096 || body[0] != '{' {
		return 0, "", false
	}
	var e struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code == nil {
		return 0, "", false
	}
	return *e.Code, e.Message, true
}
