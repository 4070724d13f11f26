package session

import (
	"encoding/json"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// UpgradeState is where a session stands on the way from polling to
// WebSocket.
type UpgradeState uint8

const (
	StatePolling   UpgradeState = iota // on polling, no probe yet
	StateProbing                       // a WebSocket with the sid is open, no "5" yet
	StateWebSocket                     // upgraded, or WebSocket from the start
	StateStuck                         // a probe WebSocket ended (or timed out) without "5"
)

var stateNames = [...]string{"polling", "probing", "websocket", "stuck"}

func (u UpgradeState) String() string {
	if int(u) < len(stateNames) {
		return stateNames[u]
	}
	return "unknown"
}

// Request is one polling exchange of a session, kept for fault rules
// (overlapping polls, changing upstreams, cookies not sent back).
type Request struct {
	Exchange   uint64
	Method     string
	Start, End time.Time
	Status     int
	Upstream   string
	Cookie     string   // request Cookie header
	SetCookie  []string // response Set-Cookie headers
	Err        string   // obs.HTTPExchange.Err
	ErrKind    string
	Packets    int // Engine.IO packets decoded from its body
}

// Conn is one WebSocket of a session: its own handshake (no sid), a probe
// for the upgrade, or a stray second socket.
type Conn struct {
	ID     uint64
	Open   *obs.WSOpen
	Opened time.Time
	// Probe is set when the URL carried a sid: an upgrade attempt.
	Probe         bool
	ProbeSent     time.Time // C→S 2probe
	ProbeAnswered time.Time // S→C 3probe
	Upgraded      time.Time // C→S 5 on this socket
	// CloseFrame holds the close code each direction sent (index decode.Dir),
	// 0 if none; -1 means a close frame without a status code.
	CloseFrame [2]int
	Closed     *obs.WSClose // set once the connection ended

	session *Session
	eio     eio.Version // for a socket still waiting for its open packet
	path    string
	q       eio.Query
	noEIO   bool // the first S→C message was not an open packet
	// serverClose is why the server closed, judged when its close frame
	// passed: a late message after it must not change the verdict.
	serverClose string
}

// Ping is a heartbeat waiting for its pong.
type Ping struct {
	Dir       decode.Dir
	At        time.Time
	Transport decode.Transport
}

// Namespace is one Socket.IO namespace joined (or attempted) on a session.
type Namespace struct {
	Name string
	// State is "connecting" (client CONNECT sent), "connected", "refused"
	// (CONNECT_ERROR) or "disconnected".
	State       string
	SocketID    string // from the server's CONNECT reply (protocol 5)
	Pid         string // connection-state-recovery private id
	Auth        json.RawMessage
	Query       string // protocol 4 namespace query
	Error       json.RawMessage
	ConnectAt   time.Time // client CONNECT
	ConnectedAt time.Time // server reply
	// DisconnectBy is "client" or "server" for a DISCONNECT packet.
	DisconnectBy string
	// Connection state recovery: the pid and offset the client's CONNECT
	// sent back (a recovery attempt), and its outcome once the server
	// answered: "recovered" (the same pid back) or "failed" (a new one).
	RecoverPid    string
	RecoverOffset string
	HasOffset     bool
	Recovery      string
}

// CloseInfo says how a session ended.
type CloseInfo struct {
	At     time.Time
	Reason string // FAULTS.md §J label: "transport close", "ping timeout", …
	By     string // "client" or "server"
	Code   int    // WebSocket close code, 0 if none
	// Trigger names what showed the end: "close_packet", "ws_close",
	// "http_error", "session_unknown" (a 400 code 1 for a live sid) or
	// "heartbeat" (Tick found it silent).
	Trigger string
	// How says how the end travelled: "close packet", "close frame 1000
	// \"bye\"", "TCP FIN without close frame", "TCP RST", "HTTP 502",
	// "400 Session ID unknown", "silence".
	How string
	// Idle is how long the session carried no packet before it ended.
	Idle time.Duration
}

// DecodeError is the latest decode failure of a session.
type DecodeError struct {
	At    time.Time
	Dir   decode.Dir
	Layer string // "eio", "eio3", "sio", "msgpack", "http", "ws"
	Text  string
}

// Session is everything known about one Engine.IO session. Fault rules read
// it; only the Tracker writes it (apart from the Diagnoser's own fields).
type Session struct {
	Sid    string
	Client string
	// EIO is the version the session is decoded with: the query's, unless
	// the handshake body clearly says otherwise (QueryEIO keeps what the
	// client asked for).
	EIO       eio.Version
	Query     eio.Query     // the first request's Engine.IO query
	Path      string        // the first request's path, without the query
	SIO       bool          // messages carry Socket.IO (false on bare /engine.io/)
	Open      eio.Handshake // open packet parameters
	HasOpen   bool
	OpenRaw   []byte // open packet JSON
	Handshake *obs.HTTPExchange
	// HandshakeWS is the WebSocket that carried a WebSocket-only handshake.
	HandshakeWS *Conn
	// Adopted marks a session first seen after its handshake (the proxy
	// started late or the open packet was dropped): timers are unknown.
	Adopted bool

	HandshakeTransport decode.Transport
	Transport          decode.Transport // current transport
	Upgrade            UpgradeState
	UpgradedAt         time.Time

	// Upstream produced the open packet; Upstreams lists every upstream
	// that served this sid, in order of first use.
	Upstream  string
	Upstreams []string
	// SetCookie holds the handshake response's Set-Cookie headers.
	SetCookie []string

	Requests     []Request // last Options.MaxHistory polling requests, oldest first
	reqBuf       []Request // the array Requests slides along (addRequest)
	RequestCount int
	Conns        []*Conn

	Namespaces []*Namespace

	PendingPings  []Ping // oldest first, at most maxPendingPings
	LastPing      time.Time
	LastPong      time.Time
	LastHeartbeat time.Time // last ping or pong, either way (or the open)
	PingRTT       time.Duration
	HasRTT        bool

	Packets [2]int64 // Engine.IO packets, by decode.Dir
	Bytes   [2]int64 // Engine.IO packet bytes, by decode.Dir

	Opened       time.Time
	LastActivity time.Time
	Closed       bool
	Close        CloseInfo

	DecodeErrors int
	LastError    DecodeError

	// Faults counts distinct fault codes reported for this session.
	Faults     int
	faultCodes map[string]struct{}

	dec  [2]*sio.Decoder
	bin  [2]binState
	acks map[ackKey]ackInfo
	// lastPacket is when the last Engine.IO packet (either way) passed.
	lastPacket time.Time

	drops droppedPings // pings the active layer dropped (inject.go)
}

// ackInfo is an EVENT waiting for its ACK: when it was sent, and its
// name, so the ACK line can say what it answers.
type ackInfo struct {
	at    time.Time
	event string
}

// PendingAck is an EVENT with an ack id whose ACK has not come (yet).
type PendingAck struct {
	Nsp   string
	ID    int64
	Dir   decode.Dir // direction of the EVENT
	At    time.Time
	Event string // event name
}

// EachPendingAck calls fn for every EVENT still waiting for its ACK, in
// no particular order.
func (s *Session) EachPendingAck(fn func(PendingAck)) {
	for k, a := range s.acks {
		fn(PendingAck{Nsp: k.nsp, ID: k.id, Dir: k.dir, At: a.at, Event: a.event})
	}
}

// binState accumulates a BINARY packet's engine packets until its last
// attachment arrives.
type binState struct {
	size int
	raw  []byte
}

type ackKey struct {
	nsp string
	id  int64
	dir decode.Dir // direction of the EVENT
}

const (
	maxPendingPings = 8
	maxPendingAcks  = 4096
	maxNamespaces   = 64
	maxConns        = 16
)

// Namespace returns the named namespace, nil if never seen.
func (s *Session) Namespace(name string) *Namespace {
	for _, n := range s.Namespaces {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func (s *Session) namespace(name string) *Namespace {
	if n := s.Namespace(name); n != nil {
		return n
	}
	n := &Namespace{Name: name}
	if len(s.Namespaces) < maxNamespaces {
		s.Namespaces = append(s.Namespaces, n)
	}
	return n
}

// PendingAcks is how many EVENTs with an ack id still wait for their ACK.
func (s *Session) PendingAcks() int { return len(s.acks) }

// protocol is the Socket.IO protocol revision that rides this Engine.IO
// version.
func (s *Session) protocol() int {
	if s.EIO == eio.V3 {
		return 4
	}
	return 5
}

func (s *Session) decoder(d decode.Dir) *sio.Decoder {
	if s.dec[d] == nil {
		s.dec[d] = sio.NewDecoder(s.protocol())
	}
	return s.dec[d]
}

func (s *Session) addUpstream(u string) {
	if u == "" {
		return
	}
	for _, x := range s.Upstreams {
		if x == u {
			return
		}
	}
	if len(s.Upstreams) < 16 {
		s.Upstreams = append(s.Upstreams, u)
	}
}

// addRequest appends r to the history, dropping the oldest beyond max.
// The history is a window sliding along reqBuf, which has room for max/2
// more (at least one); when the window reaches its end it moves back to
// the start. Shifting all 64 entries (11 KB of pointers, every write under
// the GC's barrier) for every request was a tenth of the analyzer's CPU
// on polling; this moves one entry per request on average, without
// allocating.
func (s *Session) addRequest(r Request, max int) {
	s.RequestCount++
	if s.reqBuf == nil {
		s.reqBuf = append(make([]Request, 0, max+max/2+1), s.Requests...)
		s.Requests = s.reqBuf
	}
	if len(s.Requests) >= max {
		keep := s.Requests[len(s.Requests)-max+1:]
		// keep ends at the end of s.Requests; its offset in reqBuf:
		end := cap(s.reqBuf) - cap(s.Requests) + len(s.Requests)
		if end == cap(s.reqBuf) {
			n := copy(s.reqBuf[:cap(s.reqBuf)], keep)
			clear(s.reqBuf[n:cap(s.reqBuf)]) // let the dropped entries' strings go
			s.Requests = s.reqBuf[:n]
		} else {
			s.Requests[0] = Request{} // no longer in the window: let its strings go
			s.Requests = keep
		}
	}
	s.Requests = append(s.Requests, r)
}

func (s *Session) touch(t time.Time) {
	if t.After(s.LastActivity) {
		s.LastActivity = t
	}
}

// SessionInfo is a snapshot of a session for the TUI.
type SessionInfo struct {
	Sid          string
	Client       string
	Transport    string // "polling" or "websocket"
	Upgrade      string // "polling", "probing", "websocket", "stuck"
	EIO          int
	Namespaces   []NamespaceInfo
	PacketsC2S   int64
	PacketsS2C   int64
	BytesC2S     int64
	BytesS2C     int64
	Opened       time.Time
	LastActivity time.Time
	PingRTT      time.Duration // 0 if no round trip seen yet
	PendingAcks  int
	Closed       bool
	Reason       string
	By           string
	Code         int
	Faults       int
	DecodeErrors int
	Upstreams    []string
}

// NamespaceInfo is a namespace in a SessionInfo.
type NamespaceInfo struct {
	Name     string
	SocketID string
	State    string
	Recovery string // "recovered", "failed" or "" (no recovery attempted)
}

func (s *Session) info() SessionInfo {
	in := SessionInfo{
		Sid: s.Sid, Client: s.Client, Transport: s.Transport.String(), Upgrade: s.Upgrade.String(),
		EIO: int(s.EIO), PacketsC2S: s.Packets[decode.C2S], PacketsS2C: s.Packets[decode.S2C],
		BytesC2S: s.Bytes[decode.C2S], BytesS2C: s.Bytes[decode.S2C], Opened: s.Opened,
		LastActivity: s.LastActivity, PingRTT: s.PingRTT, PendingAcks: len(s.acks), Closed: s.Closed,
		Reason: s.Close.Reason, By: s.Close.By, Code: s.Close.Code, Faults: s.Faults,
		DecodeErrors: s.DecodeErrors, Upstreams: append([]string(nil), s.Upstreams...),
	}
	for _, n := range s.Namespaces {
		in.Namespaces = append(in.Namespaces, NamespaceInfo{Name: n.Name, SocketID: n.SocketID, State: n.State, Recovery: n.Recovery})
	}
	return in
}
