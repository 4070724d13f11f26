package diagnose

import (
	"bytes"
	"fmt"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// checkOpen is E2 at the open packet: a client that asked for EIO=4 and
// got Engine.IO v3 framing talks to a Socket.IO 2.x server.
func (e *Engine) checkOpen(ev *event.Event, s *session.Session, emit func(event.Event)) {
	if s.Query.EIO != "4" || s.EIO != eio.V3 {
		return
	}
	f := finding{
		code: CodeV2Server, sid: s.Sid, client: s.Client, at: ev.TS,
		summary: fmt.Sprintf("The client asked for EIO=4 but the server answered in Engine.IO v3 framing (length-prefixed records, open packet without maxPayload, pingTimeout %d ms): a Socket.IO 2.x server", s.Open.PingTimeout),
	}
	if s.Handshake != nil {
		f.evidence = []string{httpLine(s.Handshake)}
	}
	e.report(f, emit)
}

// checkConnectReply is E2 at the server's CONNECT: protocol 5 servers
// always send the socket id, a 2.x server sends a bare "40".
func (e *Engine) checkConnectReply(ev *event.Event, s *session.Session, emit func(event.Event)) {
	if s.EIO != eio.V4 || s.Adopted || bytes.Contains(ev.Args, []byte(`"sid"`)) {
		return
	}
	extra := ""
	if s.HasOpen && !s.Open.HasMaxPayload {
		extra = " and its open packet lacks maxPayload"
	}
	e.report(finding{
		code: CodeV2Server, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("The server answered CONNECT %s without a socket id%s: a Socket.IO 2.x server, which v3/v4 clients cannot use", ev.Nsp, extra),
		evidence: []string{packetLine(ev)},
	}, emit)
}

// packetLine renders a packet event as evidence.
func packetLine(ev *event.Event) string {
	raw := string(ev.Raw)
	if raw == "" {
		raw = ev.Engine
		if ev.Type != "" {
			raw += " " + ev.Type + " " + ev.Nsp
		}
	}
	where := ev.Transport
	if ev.Conn != 0 {
		where = fmt.Sprintf("ws#%d", ev.Conn)
	} else if ev.Exchange != 0 {
		where = fmt.Sprintf("polling #%d", ev.Exchange)
	}
	return where + " " + ev.Dir + " " + clip(raw, maxBody)
}
