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
