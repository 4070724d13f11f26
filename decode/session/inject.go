package session

import (
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// inject turns a fault sioproxy staged (--inject) into an "inject" event,
// tied to the session it hit: by WebSocket connection, else by the sid in
// the request URI. It is emitted through emit, so the Diagnoser sees it
// with the session and can attribute the faults that follow.
func (t *Tracker) inject(o obs.Obs) {
	in := o.Inject
	ev := event.Event{TS: o.Time, Kind: event.KindInject, Rule: in.Rule, Action: in.Action, Data: in.Detail,
		Client: in.Client, Exchange: in.Exchange, Conn: in.Conn}
	var s *Session
	if in.Conn != 0 {
		ev.Transport, ev.Dir = decode.WebSocket.String(), in.Dir.String()
		if c := t.conns[in.Conn]; c != nil {
			s = c.session
		}
	}
	if s == nil && in.URL != "" {
		_, rawq, _ := strings.Cut(in.URL, "?")
		q := eio.ParseQuery(rawq)
		if q.Sid != "" {
			s = t.sessions[q.Sid]
			ev.Sid = q.Sid
		}
		if ev.Transport == "" && q.Transport != "" {
			ev.Transport = q.Transport
		}
	}
	if s != nil {
		ev.Sid, ev.EIO = s.Sid, int(s.EIO)
		t.cur = s
	}
	t.emit(s, ev)
}

// wsDropped shows a WebSocket message the active layer did not forward
// (obs.Active.Dropped: an --inject rule or a breakpoint dropped it), or
// one the server got after its own close frame, as a packet event without
// touching the session: its receiver never got or never processed it,
// so heartbeat timers, the upgrade and the diagnosis go by what was
// delivered — a dropped pong must leave its ping unanswered.
func (t *Tracker) wsDropped(o obs.Obs, c *Conn) {
	m := o.WSMsg
	s := c.session
	if s == nil || (m.Opcode != opText && m.Opcode != opBinary) {
		return
	}
	t.cur = s
	p, err := eio.DecodePacket(s.EIO, m.Data, m.Opcode == opBinary)
	if err != nil {
		return
	}
	if p.Type == eio.Message {
		// Socket.IO packets are decoded as usual (their marks say they
		// were not delivered); only the Engine.IO heartbeat, probe and
		// upgrade state must not see them.
		s.touch(o.Time)
		t.packet(s, m.Dir, decode.WebSocket, p, m.Data, len(m.Data), o.Time, 0, m.Conn)
		return
	}
	ev := event.Event{TS: o.Time, Kind: event.KindPacket, Sid: s.Sid, Transport: decode.WebSocket.String(),
		Dir: (m.Dir & 1).String(), EIO: int(s.EIO), Engine: p.Type.String(), Binary: p.Binary, Size: len(m.Data),
		Raw: m.Data, Conn: m.Conn}
	if !p.Binary {
		ev.Data = string(p.Data)
	}
	if m.Active != nil && m.Active.Dropped {
		t.droppedPing(s, p, m.Dir&1, decode.WebSocket, o.Time)
	}
	t.forward(ev)
}

// droppedPing keeps the sender's view of a dropped ping: it did ping and
// waits for the pong, so the session's timers go by that, while the
// receiver's (which never got it) is kept apart for clientReason.
func (t *Tracker) droppedPing(s *Session, p eio.Packet, dir decode.Dir, tr decode.Transport, at time.Time) {
	if p.Type != eio.Ping || string(p.Data) == "probe" {
		return
	}
	if s.LastPing != s.drops.last {
		s.drops.delivered = s.LastPing
	}
	t.ping(s, dir, tr, at)
	s.drops.last = at
}

// pollDropped shows the packets of a polling exchange the active layer
// made of what it did not forward (obs.Active.Dropped), as packet events
// that leave the session alone, as wsDropped does.
func (t *Tracker) pollDropped(o obs.Obs) {
	x := o.HTTP
	_, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	s := t.sessions[q.Sid]
	if s == nil {
		return
	}
	t.cur = s
	dir, body, h := decode.S2C, x.RespBody, x.RespHeader
	if x.Method == "POST" {
		dir, body, h = decode.C2S, x.ReqBody, x.ReqHeader
	}
	body, err := t.prepare(body, h, false, int64(len(body)), q, dir == decode.C2S)
	if err != nil {
		return
	}
	pkts, _ := eio.AppendPayloadWith(nil, s.EIO, body, h.Get("Content-Type"), eio.PayloadOptions{})
	at := x.End
	if at.IsZero() {
		at = o.Time
	}
	xhr2 := isXHR2(body, h.Get("Content-Type"))
	for _, p := range pkts {
		if p.Type == eio.Message {
			raw, size := t.rawPolling(s.EIO, p, xhr2)
			t.packet(s, dir, decode.Polling, p, raw, size, at, x.ID, 0)
			continue
		}
		ev := event.Event{TS: at, Kind: event.KindPacket, Sid: s.Sid, Transport: decode.Polling.String(),
			Dir: dir.String(), EIO: int(s.EIO), Engine: p.Type.String(), Binary: p.Binary, Exchange: x.ID}
		if !p.Binary {
			ev.Data = string(p.Data)
		}
		t.droppedPing(s, p, dir, decode.Polling, at)
		t.forward(ev)
	}
}

// droppedPings remembers, when the latest ping was dropped before its
// receiver got it, when the receiver last got one.
type droppedPings struct {
	last      time.Time // the latest dropped ping
	delivered time.Time // the latest ping before it that was delivered
}

// clientReason labels a WebSocket the client side ended. It is "transport
// close" unless pings were being dropped on the way (--inject
// drop-pings): a v4 client that got no ping for pingInterval+pingTimeout
// gives up with "ping timeout".
func (t *Tracker) clientReason(s *Session, at time.Time) string {
	const tolerance = 100 * time.Millisecond
	if s.drops.last.IsZero() || s.LastPing != s.drops.last || s.EIO != eio.V4 || !s.HasOpen {
		return "transport close"
	}
	last := s.drops.delivered
	if last.IsZero() {
		last = s.Opened
	}
	if at.Sub(last) < time.Duration(s.Open.PingInterval+s.Open.PingTimeout)*time.Millisecond-tolerance {
		return "transport close"
	}
	// The client timed out on the pings it did not get: its view wins.
	pending := s.PendingPings[:0]
	for _, p := range s.PendingPings {
		if p.Dir != decode.S2C {
			pending = append(pending, p)
		}
	}
	s.PendingPings, s.LastPing = pending, s.drops.delivered
	return "ping timeout"
}

// afterErrorWindow bounds how soon after a failed request a client's close
// packet is its reaction to that failure.
const afterErrorWindow = time.Second

// closeAfterError relabels a client's close packet that follows dropped
// pings (see clientReason), or one on polling that comes
// right after one of the session's requests failed (an intermediary's 503,
// a lost request): engine.io-client closes with "transport error" and, on
// polling, still POSTs the close packet on its way out, so the packet
// alone would read as a clean "transport close".
func (t *Tracker) closeAfterError(s *Session, ci *CloseInfo, tr decode.Transport) {
	if r := t.clientReason(s, ci.At); r == "ping timeout" {
		ci.Reason = r // pings were dropped on the way (--inject drop-pings)
		return
	}
	if tr != decode.Polling || len(s.Requests) == 0 {
		return
	}
	r := s.Requests[len(s.Requests)-1]
	failed := r.Err != "" || (r.Status >= 400 && r.Status != 0)
	if !failed || ci.At.Sub(r.End) > afterErrorWindow || ci.At.Before(r.End) {
		return
	}
	ci.Reason, ci.Trigger = "transport error", "http_error"
}
