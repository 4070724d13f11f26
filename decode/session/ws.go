package session

import (
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// WebSocket opcodes the tracker cares about.
const (
	opText   = 1
	opBinary = 2
	opClose  = 8
)

// wsOpen registers a WebSocket answered 101: a probe for a known sid, or a
// WebSocket-only handshake waiting for its open packet.
func (t *Tracker) wsOpen(o obs.Obs) {
	x := o.WSOpen
	path, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	hev := event.Event{
		TS: o.Time, Kind: event.KindHTTP, Method: "GET", Path: x.URL, Status: x.Status, Client: x.Client, Conn: x.Conn, Upstream: x.Upstream,
	}
	if !x.Start.IsZero() {
		hev.DurationMs = msSince(x.Start, o.Time)
	}
	if !t.isEIO(path, q) {
		t.forward(hev)
		return
	}
	hev.Transport = decode.WebSocket.String()
	c := &Conn{ID: x.Conn, Open: x, Opened: o.Time, Probe: q.Sid != "", eio: q.Version(), path: path, q: q}
	if len(t.conns) < 4*t.opts.MaxSessions {
		t.conns[x.Conn] = c
	}
	if q.Sid == "" {
		t.forward(hev)
		return
	}
	s := t.sessions[q.Sid]
	if s == nil {
		s = t.newSession(q.Sid, q.Version(), q, path, x.Client, o.Time)
		s.Adopted = true
	}
	t.cur = s
	c.session = s
	if len(s.Conns) < maxConns {
		s.Conns = append(s.Conns, c)
	}
	s.addUpstream(x.Upstream)
	s.touch(o.Time)
	if !s.Closed && (s.Upgrade == StatePolling || s.Upgrade == StateStuck) {
		s.Upgrade = StateProbing
	}
	hev.Sid, hev.EIO = s.Sid, int(s.EIO)
	t.emit(s, hev)
}

// wsMsg decodes one WebSocket message.
func (t *Tracker) wsMsg(o obs.Obs) {
	m := o.WSMsg
	c := t.conns[m.Conn]
	if c == nil || c.noEIO {
		return
	}
	if (m.Active != nil && m.Active.Dropped) || (m.Dir&1 == decode.C2S && c.CloseFrame[decode.S2C] != 0) {
		// Not received (dropped by the active layer), or received by a
		// server that had already closed: shown, not processed (inject.go).
		t.wsDropped(o, c)
		return
	}
	s := c.session
	t.cur = s
	if m.Err != "" {
		t.markError(s, o.Time, decode.WebSocket, m.Dir, decode.Errorf("ws", -1, "%s", m.Err), 0, m.Conn)
		return
	}
	switch m.Opcode {
	case opClose:
		code := m.CloseCode
		if code == 0 {
			code = -1
		}
		c.CloseFrame[m.Dir&1] = code
		if m.Dir&1 == decode.S2C && c.session != nil && c.serverClose == "" {
			c.serverClose = t.serverReason(c.session, o.Time)
		}
		return
	case opText, opBinary:
	default:
		return // ping/pong frames are the WebSocket's own heartbeat
	}
	if s == nil {
		t.wsHandshake(o, c)
		return
	}
	s.touch(o.Time)
	data := m.Data
	if m.Opcode == opText {
		data = t.validText(s, o.Time, decode.WebSocket, m.Dir, "WebSocket text frame", data, 0, m.Conn)
	}
	p, err := eio.DecodePacket(s.EIO, data, m.Opcode == opBinary)
	if err != nil {
		t.markError(s, o.Time, decode.WebSocket, m.Dir, err, 0, m.Conn)
		return
	}
	t.packet(s, m.Dir, decode.WebSocket, p, m.Data, len(m.Data), o.Time, 0, m.Conn)
}

// wsHandshake handles the first messages of a WebSocket opened without sid:
// the server's first message must be the open packet.
func (t *Tracker) wsHandshake(o obs.Obs, c *Conn) {
	m := o.WSMsg
	if m.Dir != decode.S2C {
		return
	}
	p, err := eio.DecodePacket(c.eio, m.Data, m.Opcode == opBinary)
	if err == nil && p.Type != eio.Open {
		err = decode.Errorf(c.eio.String(), 0, "first message of a WebSocket without sid is %s, not an open packet", p.Type)
	}
	var open eio.Handshake
	if err == nil {
		open, err = eio.ParseOpen(p.Data)
	}
	if err != nil {
		c.noEIO = true
		t.markError(nil, o.Time, decode.WebSocket, m.Dir, err, 0, m.Conn)
		return
	}
	s := t.newSession(open.Sid, c.eio, c.q, c.path, c.Open.Client, o.Time)
	t.cur = s
	c.session = s
	s.HandshakeWS = c
	s.Conns = append(s.Conns, c)
	s.Upstream = c.Open.Upstream
	s.addUpstream(c.Open.Upstream)
	s.SetCookie = c.Open.RespHeader.Values("Set-Cookie")
	t.opened(s, open, p.Data, decode.WebSocket, o.Time, 0, m.Conn)
	t.packet(s, decode.S2C, decode.WebSocket, p, m.Data, len(m.Data), o.Time, 0, m.Conn)
}

// wsClose ends a WebSocket and, if it carried the session, the session.
func (t *Tracker) wsClose(o obs.Obs) {
	x := o.WSClose
	c := t.conns[x.Conn]
	if c == nil {
		return
	}
	delete(t.conns, x.Conn)
	c.Closed = x
	s := c.session
	if s == nil {
		return
	}
	t.cur = s
	s.touch(o.Time)
	active := c == s.HandshakeWS || !c.Upgraded.IsZero()
	if !active {
		if c.Probe && s.Upgrade == StateProbing {
			s.Upgrade = StateStuck
		}
		return
	}
	ci := CloseInfo{At: o.Time, By: x.By, Code: x.Code, Trigger: "ws_close"}
	switch {
	case x.Err != "" && !x.Clean:
		ci.Reason = "transport error"
	case x.Code == 1009:
		ci.Reason = "transport error" // message over maxPayload
	case x.By == "server" && c.serverClose != "":
		ci.Reason = c.serverClose
	case x.By == "server" && !x.Clean && x.Code == 0 && c.CloseFrame[decode.S2C] == 0:
		// The server's side ended without a close frame: its process
		// died or something cut the connection. Clients call that
		// "transport close" (connection lost); "forced close" would say
		// the server chose to end the session. A ping timeout still
		// explains it best when one was due.
		ci.Reason = "transport close"
		if r := t.serverReason(s, o.Time); r == "ping timeout" {
			ci.Reason = r
		}
	case x.By == "server":
		ci.Reason = t.serverReason(s, o.Time)
	default:
		ci.Reason = t.clientReason(s, o.Time) // inject.go
	}
	if ci.By == "" {
		ci.By = "client"
	}
	ci.How = wsHow(x)
	t.closeSession(s, ci, decode.WebSocket, 0, x.Conn)
}

// wsHow says how a WebSocket ended: close frames exchanged, or the TCP
// connection closed (FIN) or reset (RST) without one, which the peer sees
// as 1006.
func wsHow(x *obs.WSClose) string {
	switch {
	case x.Code != 0 || x.Clean:
		h := "close frame"
		if x.Code != 0 {
			h += " " + strconv.Itoa(x.Code)
		}
		if x.Reason != "" {
			h += " " + strconv.Quote(x.Reason)
		}
		return h
	case strings.Contains(x.Err, "reset"):
		return "TCP RST without close frame (1006)"
	}
	return "TCP FIN without close frame (1006)"
}
