// Package obs holds wire observations: what the proxy saw, before any
// decoding. The proxy produces them, decode/session turns them into events,
// and recordings stores them, so an old recording can be decoded again by a
// newer decoder.
package obs

import (
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode"
)

// Kind names the variant an Obs carries.
type Kind string

const (
	KindHTTP Kind = "http" // a finished HTTP exchange (not a WebSocket upgrade)
	// KindHTTPStart is a request on its way upstream: headers and the
	// complete request body, before any response. It lets the decoder show
	// a POST's packets before the server's answer to them (a long-poll may
	// return the ack first), and lets fault rules act before a bad answer
	// arrives (FAULTS.md C2). The same exchange (same ID) later arrives as
	// KindHTTP with the response; consumers must not count it twice.
	KindHTTPStart Kind = "http.start"
	KindWSOpen    Kind = "ws.open"  // a WebSocket upgrade answered 101
	KindWSMsg     Kind = "ws.msg"   // one complete WebSocket message (data or control)
	KindWSClose   Kind = "ws.close" // the WebSocket connection ended
	KindTLS       Kind = "tls"      // a TLS handshake problem on either leg
	KindDrop      Kind = "drop"     // observations lost because a consumer lagged
	// KindInject is a fault sioproxy injected on purpose (--inject): it
	// precedes the observation of what the fault caused, so that the
	// output, the recording and the diagnosis can say it was staged.
	KindInject Kind = "inject"
)

// Obs is one observation. Exactly one of the pointer fields matching Kind is
// set. Byte slices in an Obs are owned by it: producers copy, consumers may
// keep them.
type Obs struct {
	Kind    Kind
	Time    time.Time // when it was observed (end of exchange, arrival of message)
	HTTP    *HTTPExchange
	WSOpen  *WSOpen
	WSMsg   *WSMessage
	WSClose *WSClose
	TLS     *TLSEvent
	Drop    *Drop
	Inject  *Inject
}

// HTTPExchange is one request and its response, or its failure.
type HTTPExchange struct {
	ID       uint64    // unique per proxy run
	Client   string    // client remote address
	Upstream string    // the target that served it (base URL)
	Start    time.Time // request headers received
	End      time.Time // response body finished (or failure)

	Method    string
	URL       string // request URI as received, path and query
	Host      string
	Proto     string
	ReqHeader http.Header
	ReqBody   []byte // capped copy of the body as sent
	ReqLen    int64  // full body length seen
	ReqTrunc  bool   // ReqBody is shorter than ReqLen

	Status     int
	RespHeader http.Header
	RespBody   []byte // capped copy of the body as sent (still content-encoded)
	RespLen    int64
	RespTrunc  bool

	// Err is set when no response came back (dial error, TLS, timeout) or
	// the exchange broke mid-body (client gone). ErrKind classifies it:
	// "dial", "tls", "timeout", "client_gone", "client_abort" (the client
	// left mid-body), "client_bad_request" (a body no parser accepts),
	// "upstream_reset", "other".
	Err     string
	ErrKind string

	// Active is set when the active layer acted on this exchange; nil on
	// the transparent path.
	Active *Active
}

// WSOpen is a WebSocket upgrade that the upstream answered with 101.
type WSOpen struct {
	Conn       uint64 // connection id, unique per proxy run
	Client     string
	Upstream   string
	Start      time.Time
	URL        string
	Host       string
	ReqHeader  http.Header
	RespHeader http.Header
	Status     int
	// Extensions is the Sec-WebSocket-Extensions value the server accepted.
	Extensions string
}

// WSMessage is one WebSocket message, reassembled from its frames and
// inflated if it was compressed. Control frames are messages of their own.
type WSMessage struct {
	Conn       uint64
	Dir        decode.Dir
	Opcode     byte   // 1 text, 2 binary, 8 close, 9 ping, 10 pong
	Data       []byte // payload after unmasking and inflating
	Compressed bool   // RSV1 was set
	WireLen    int    // bytes on the wire, headers included
	Frames     int
	CloseCode  int // for opcode 8: 0 if absent
	CloseText  string
	Err        string // decode error for this message (data may be partial)
	// Active is set when the active layer acted on this message (see
	// Active); nil on the transparent path.
	Active *Active
}

// WSClose says how a WebSocket connection ended.
type WSClose struct {
	Conn uint64
	// By is the side that ended it: "client" or "server" (who sent the
	// first close frame or dropped the TCP connection first).
	By     string
	Code   int    // close code of the first close frame, 0 if none
	Reason string // its reason text
	// Clean is true when close frames were exchanged.
	Clean bool
	Err   string // transport error if the connection broke
	// Undecodable is set if framing sync was lost at some point.
	Undecodable bool
	BytesC2S    int64
	BytesS2C    int64
}

// TLSEvent is a TLS problem: a client that rejected our certificate or
// spoke plain HTTP to a TLS port, or an upstream that failed verification.
type TLSEvent struct {
	Leg    string // "client" or "upstream"
	Client string
	Host   string
	// Kind classifies it: "alert", "plain_http", "tls_on_plain",
	// "unknown_authority", "self_signed", "expired", "hostname", "other".
	Kind   string
	Alert  string // TLS alert description, when Kind is "alert"
	Detail string
}

// Drop counts observations lost since the previous Drop.
type Drop struct {
	Count uint64
	Where string // which queue dropped them
}

// Inject is a fault sioproxy injected (--inject RULE).
type Inject struct {
	Rule   string // the rule in canonical form, e.g. "drop-pongs" or "fail-polls=503/3"
	Action string // what was done: "dropped", "corrupted", "cut", "failed", "refused", "stripped", "rerouted", "delayed", "throttled"
	// Exchange is the HTTP exchange it affected (its ID), Conn the
	// WebSocket connection; 0 when not applicable.
	Exchange uint64
	Conn     uint64
	Dir      decode.Dir // for a WebSocket message: the direction it travelled
	Client   string
	URL      string // request URI (its sid query ties the fault to a session)
	Detail   string // what exactly, e.g. "pong \"3\"" or "answered 503 instead of relaying"
}
