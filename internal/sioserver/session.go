package sioserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
)

const (
	statePolling = iota
	stateProbing
	stateUpgraded
)

// session is one Engine.IO session. Packets for the client wait in out until
// the active transport drains them: a parked GET or the WebSocket writer.
type session struct {
	srv *Server
	sid string

	mu         sync.Mutex
	out        []eio.Packet
	state      int
	ws         *websocket.Conn
	pollActive bool
	closed     bool
	sockets    map[string]*Socket

	notify chan struct{}
	pong   chan struct{}
	done   chan struct{}
	dec    *sio.Decoder // used by one reader at a time
}

func newSession(srv *Server, sid string) *session {
	return &session{
		srv:     srv,
		sid:     sid,
		sockets: map[string]*Socket{},
		notify:  make(chan struct{}, 1),
		pong:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		dec:     sio.NewDecoder(5),
	}
}

func (s *session) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *session) queue(ps ...eio.Packet) {
	s.mu.Lock()
	s.out = append(s.out, ps...)
	s.mu.Unlock()
	s.wake()
}

func (s *session) take() []eio.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.out
	s.out = nil
	return ps
}

func (s *session) upgradedOrUpgrading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state != statePolling
}

func (s *session) isUpgraded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateUpgraded
}

// servePoll answers a GET: it parks until there is something to send.
func (s *session) servePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.pollActive {
		s.mu.Unlock()
		s.srv.fail(w, r, 3)
		s.close("transport error", true)
		return
	}
	s.pollActive = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.pollActive = false
		s.mu.Unlock()
	}()
	for {
		if ps := s.take(); len(ps) > 0 {
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(eio.EncodePayloadV4(ps))
			return
		}
		select {
		case <-s.notify:
		case <-s.done:
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			io.WriteString(w, "1")
			return
		case <-r.Context().Done():
			s.close("transport error", false)
			return
		}
	}
}

// serveData answers a POST carrying client packets.
func (s *session) serveData(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.srv.opts.MaxPayload+1))
	if err != nil {
		s.close("transport error", false)
		return
	}
	if int64(len(body)) > s.srv.opts.MaxPayload {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		s.close("transport error", false)
		return
	}
	ps, err := eio.DecodePayload(eio.V4, body, r.Header.Get("Content-Type"))
	for _, p := range ps {
		s.handle(p)
	}
	if err != nil {
		s.close("parse error", false)
	}
	w.Header().Set("Content-Type", "text/html")
	io.WriteString(w, "ok")
}

// probe runs the upgrade on a new WebSocket: 2probe, 3probe, noop to the
// parked GET, then 5.
func (s *session) probe(ws *websocket.Conn) {
	s.mu.Lock()
	s.state = stateProbing
	s.mu.Unlock()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second)) // upgradeTimeout
	mt, msg, err := ws.ReadMessage()
	if err != nil || mt != websocket.TextMessage || string(msg) != "2probe" {
		s.abortProbe(ws)
		return
	}
	if ws.WriteMessage(websocket.TextMessage, []byte("3probe")) != nil {
		s.abortProbe(ws)
		return
	}
	s.queue(eio.Packet{Type: eio.Noop})
	// Like engine.io, re-send the noop every 100 ms while the upgrade is
	// pending: the client may have started another poll before it saw
	// 3probe, and that poll must not stay parked until the next ping.
	stopNoop := make(chan struct{})
	go s.flushPollsDuringUpgrade(stopNoop)
	_, msg, err = ws.ReadMessage()
	close(stopNoop)
	if err != nil || string(msg) != "5" {
		s.abortProbe(ws)
		return
	}
	ws.SetReadDeadline(time.Time{})
	s.startWebSocket(ws)
}

func (s *session) flushPollsDuringUpgrade(stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			idle := s.pollActive && len(s.out) == 0
			s.mu.Unlock()
			if idle {
				s.queue(eio.Packet{Type: eio.Noop})
			}
		}
	}
}

func (s *session) abortProbe(ws *websocket.Conn) {
	ws.Close()
	s.mu.Lock()
	s.state = statePolling
	s.mu.Unlock()
}

// startWebSocket makes ws the session's transport.
func (s *session) startWebSocket(ws *websocket.Conn) {
	s.mu.Lock()
	s.state = stateUpgraded
	s.ws = ws
	s.mu.Unlock()
	s.wake()
	go s.writeWebSocket(ws)
	go s.readWebSocket(ws)
}

func (s *session) writeWebSocket(ws *websocket.Conn) {
	for {
		for _, p := range s.take() {
			data, binary := eio.EncodePacket(eio.V4, p)
			mt := websocket.TextMessage
			if binary {
				mt = websocket.BinaryMessage
			}
			if ws.WriteMessage(mt, data) != nil {
				s.close("transport error", false)
				return
			}
		}
		select {
		case <-s.notify:
		case <-s.done:
			return
		}
	}
}

func (s *session) readWebSocket(ws *websocket.Conn) {
	ws.SetReadLimit(s.srv.opts.MaxPayload)
	for {
		mt, msg, err := ws.ReadMessage()
		if err != nil {
			s.close("transport close", false)
			return
		}
		p, err := eio.DecodePacket(eio.V4, msg, mt == websocket.BinaryMessage)
		if err != nil {
			s.close("parse error", false)
			return
		}
		s.handle(p)
	}
}

// heartbeat is engine.io 4+'s server-driven ping.
func (s *session) heartbeat() {
	for {
		select {
		case <-time.After(s.srv.opts.PingInterval):
		case <-s.done:
			return
		}
		s.queue(eio.Packet{Type: eio.Ping})
		select {
		case <-s.pong:
		case <-time.After(s.srv.opts.PingTimeout):
			s.close("ping timeout", false)
			return
		case <-s.done:
			return
		}
	}
}

func (s *session) close(reason string, tellClient bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	ws := s.ws
	s.mu.Unlock()
	if ws != nil {
		if tellClient {
			ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		ws.Close()
	}
	s.srv.remove(s.sid)
	close(s.done)
}

func (s *session) handle(p eio.Packet) {
	switch p.Type {
	case eio.Pong:
		select {
		case s.pong <- struct{}{}:
		default:
		}
	case eio.Close:
		s.close("transport close", false)
	case eio.Message:
		var sp *sio.Packet
		var err error
		if p.Binary {
			sp, err = s.dec.Binary(p.Data)
		} else {
			sp, err = s.dec.Text(p.Data)
		}
		if err != nil {
			s.close("forced close", true)
			return
		}
		if sp != nil {
			s.onPacket(sp)
		}
	}
}

func (s *session) sendSIO(text []byte, atts [][]byte) {
	ps := make([]eio.Packet, 0, 1+len(atts))
	ps = append(ps, eio.Packet{Type: eio.Message, Data: text})
	for _, a := range atts {
		ps = append(ps, eio.Packet{Type: eio.Message, Data: a, Binary: true})
	}
	s.queue(ps...)
}

func (s *session) onPacket(p *sio.Packet) {
	switch p.Type {
	case sio.Connect:
		s.onConnect(p)
	case sio.Event, sio.BinaryEvent:
		s.mu.Lock()
		sock := s.sockets[p.Nsp]
		s.mu.Unlock()
		if sock == nil {
			s.close("forced close", true) // event for an unjoined namespace
			return
		}
		var ack []any
		if sock.ns.OnEvent != nil {
			ack = sock.ns.OnEvent(sock, p)
		}
		if p.HasID {
			s.sendSIO(sio.EncodeAck(p.Nsp, p.ID, ack...))
		}
	case sio.Ack, sio.BinaryAck:
		s.mu.Lock()
		sock := s.sockets[p.Nsp]
		s.mu.Unlock()
		if sock != nil {
			sock.resolve(p)
		}
	case sio.Disconnect:
		s.mu.Lock()
		delete(s.sockets, p.Nsp)
		s.mu.Unlock()
	}
}

func (s *session) onConnect(p *sio.Packet) {
	ns := s.srv.namespace(p.Nsp)
	if ns == nil {
		text, _ := sio.Encode(sio.Packet{Type: sio.ConnectError, Nsp: p.Nsp, Data: []byte(`{"message":"Invalid namespace"}`)})
		s.sendSIO(text, nil)
		return
	}
	if ns.Auth != nil {
		if data, err := ns.Auth(p.Data); err != nil {
			body := map[string]any{"message": err.Error()}
			if data != nil {
				body["data"] = data
			}
			b, _ := json.Marshal(body)
			text, _ := sio.Encode(sio.Packet{Type: sio.ConnectError, Nsp: p.Nsp, Data: b})
			s.sendSIO(text, nil)
			return
		}
	}
	sock := &Socket{ID: newID(), Nsp: p.Nsp, sess: s, ns: ns, acks: map[int64]chan *sio.Packet{}}
	s.mu.Lock()
	s.sockets[p.Nsp] = sock
	s.mu.Unlock()
	text, _ := sio.Encode(sio.Packet{Type: sio.Connect, Nsp: p.Nsp, Data: []byte(`{"sid":` + strconv.Quote(sock.ID) + `}`)})
	s.sendSIO(text, nil)
	if ns.OnConnect != nil {
		// On the reader, so what it emits follows the CONNECT reply and
		// precedes the answers to anything the client sends next, as with
		// socket.io's synchronous "connection" handler.
		ns.OnConnect(sock)
	}
}
