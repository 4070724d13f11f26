// Package sioserver is a small Engine.IO v4 / Socket.IO protocol 5 server
// built on the project's own encoder and gorilla/websocket. It is the app
// inside `sioproxy demo` and a test peer; it is not meant to serve
// production traffic. It follows engine.io 6's observable behaviour: the
// same handshake JSON, error bodies, probe/noop upgrade and heartbeat.
package sioserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
)

// Options configure a Server. Zero values take engine.io 6's defaults.
type Options struct {
	Path         string        // default "/socket.io/"
	PingInterval time.Duration // default 25 s
	PingTimeout  time.Duration // default 20 s
	MaxPayload   int64         // maxHttpBufferSize, default 1e6
	// AllowOrigins enables CORS for these origins (the cors module's
	// behaviour: ACAO echoed for a listed Origin, omitted otherwise). Empty
	// means no CORS headers at all, engine.io's default.
	AllowOrigins []string
	// NoUpgrades answers "upgrades":[] (allowUpgrades: false).
	NoUpgrades bool
	// Name identifies this node in the X-Served-By header, so a demo with
	// two nodes shows which one answered.
	Name string
}

// Namespace handles one Socket.IO namespace.
type Namespace struct {
	// Auth runs for each CONNECT; a non-nil error is sent as CONNECT_ERROR
	// with the error's text and data.
	Auth func(auth json.RawMessage) (data any, err error)
	// OnConnect runs after a successful CONNECT, on the session's reader:
	// it must not block (start a goroutine for anything that waits).
	OnConnect func(s *Socket)
	// OnEvent handles an EVENT or BINARY_EVENT; its result is the ack when
	// the client asked for one.
	OnEvent func(s *Socket, p *sio.Packet) []any
}

// Server is an http.Handler for the Engine.IO path.
type Server struct {
	opts Options
	up   websocket.Upgrader

	mu         sync.Mutex
	sessions   map[string]*session
	namespaces map[string]*Namespace
	closed     bool
}

// New returns a server with no namespaces; add them with Handle.
func New(opts Options) *Server {
	if opts.Path == "" {
		opts.Path = "/socket.io/"
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.PingTimeout == 0 {
		opts.PingTimeout = 20 * time.Second
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = 1e6
	}
	return &Server{
		opts:       opts,
		up:         websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		sessions:   map[string]*session{},
		namespaces: map[string]*Namespace{},
	}
}

// Handle registers a namespace ("/" included).
func (s *Server) Handle(nsp string, n *Namespace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.namespaces[nsp] = n
}

// Close ends every session.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	ss := make([]*session, 0, len(s.sessions))
	for _, x := range s.sessions {
		ss = append(ss, x)
	}
	s.mu.Unlock()
	for _, x := range ss {
		x.close("server shutting down", true)
	}
}

// errorCodes mirrors engine.io's Server.errorMessages.
var errorMessages = map[int]string{
	0: "Transport unknown",
	1: "Session ID unknown",
	2: "Bad handshake method",
	3: "Bad request",
	4: "Forbidden",
	5: "Unsupported protocol version",
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int) {
	if r.Header.Get("Upgrade") != "" {
		// engine.io answers a refused upgrade with a bare 400 and the text.
		http.Error(w, errorMessages[code], http.StatusBadRequest)
		return
	}
	status := http.StatusBadRequest
	if code == 4 {
		status = http.StatusForbidden
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q}`, code, errorMessages[code])
}

func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.opts.AllowOrigins) == 0 {
		return
	}
	for _, o := range s.opts.AllowOrigins {
		if o == origin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			return
		}
	}
	// The cors module omits ACAO for an origin it does not allow; the
	// request itself still succeeds, which is what makes B1 confusing.
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, s.opts.Path) {
		http.NotFound(w, r)
		return
	}
	if s.opts.Name != "" {
		w.Header().Set("X-Served-By", s.opts.Name)
	}
	s.cors(w, r)
	if r.Method == http.MethodOptions && len(s.opts.AllowOrigins) > 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := eio.ParseQuery(r.URL.RawQuery)
	if q.EIO != "4" {
		s.fail(w, r, 5)
		return
	}
	if q.Transport != "polling" && q.Transport != "websocket" {
		s.fail(w, r, 0)
		return
	}
	if q.Sid == "" {
		if r.Method != http.MethodGet {
			s.fail(w, r, 2)
			return
		}
		s.handshake(w, r, q.Transport)
		return
	}
	s.mu.Lock()
	sess := s.sessions[q.Sid]
	s.mu.Unlock()
	if sess == nil {
		s.fail(w, r, 1)
		return
	}
	switch {
	case q.Transport == "websocket":
		if !websocket.IsWebSocketUpgrade(r) || sess.upgradedOrUpgrading() {
			s.fail(w, r, 3)
			return
		}
		ws, err := s.up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		sess.probe(ws)
	case sess.isUpgraded():
		s.fail(w, r, 3) // TRANSPORT_MISMATCH
	case r.Method == http.MethodGet:
		sess.servePoll(w, r)
	case r.Method == http.MethodPost:
		sess.serveData(w, r)
	default:
		w.WriteHeader(http.StatusInternalServerError)
	}
}

func (s *Server) handshake(w http.ResponseWriter, r *http.Request, transport string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	sess := newSession(s, newID())
	s.sessions[sess.sid] = sess
	s.mu.Unlock()
	upgrades := `["websocket"]`
	if s.opts.NoUpgrades || transport == "websocket" {
		upgrades = `[]`
	}
	open := fmt.Sprintf(`{"sid":%q,"upgrades":%s,"pingInterval":%d,"pingTimeout":%d,"maxPayload":%d}`,
		sess.sid, upgrades, s.opts.PingInterval.Milliseconds(), s.opts.PingTimeout.Milliseconds(), s.opts.MaxPayload)
	if transport == "websocket" {
		ws, err := s.up.Upgrade(w, r, nil)
		if err != nil {
			s.remove(sess.sid)
			return
		}
		sess.queue(eio.Packet{Type: eio.Open, Data: []byte(open)})
		sess.startWebSocket(ws)
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, "0"+open)
	}
	go sess.heartbeat()
}

func (s *Server) remove(sid string) {
	s.mu.Lock()
	delete(s.sessions, sid)
	s.mu.Unlock()
}

func (s *Server) namespace(nsp string) *Namespace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.namespaces[nsp]
}

// newID makes a 20-character base64url id like engine.io's base64id.
func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
