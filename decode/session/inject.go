package session

import (
	"strings"

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
// (obs.Active.Dropped: an --inject rule or a breakpoint dropped it) as a
// packet event, without touching the session: its receiver never got it,
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
	ev := event.Event{TS: o.Time, Kind: event.KindPacket, Sid: s.Sid, Transport: decode.WebSocket.String(),
		Dir: (m.Dir & 1).String(), EIO: int(s.EIO), Engine: p.Type.String(), Binary: p.Binary, Size: len(m.Data),
		Raw: m.Data, Conn: m.Conn}
	if !p.Binary {
		ev.Data = string(p.Data)
	}
	t.forward(ev)
}
