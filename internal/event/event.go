// Package event holds what sioproxy tells the user: decoded packets, session
// life cycle, HTTP exchanges and faults. decode/session produces events from
// observations; the JSON and text writers, the TUI and replay consume them.
//
// The JSON field names are the --json schema documented in README.md. They
// are stable: add fields, never rename or repurpose one.
package event

import (
	"encoding/json"
	"strconv"
	"time"
)

// Kind names what an Event reports.
type Kind string

const (
	KindPacket  Kind = "packet"  // an Engine.IO packet, and the Socket.IO packet inside it
	KindSession Kind = "session" // open, upgrade, close of an Engine.IO session
	KindHTTP    Kind = "http"    // one HTTP exchange through the proxy
	KindFault   Kind = "fault"   // a diagnosed fault (first report or an update)
	KindError   Kind = "error"   // a decode error (the traffic still flowed)
	KindDrop    Kind = "drop"    // observations lost because a consumer lagged
	KindInject  Kind = "inject"  // a fault sioproxy injected on purpose (--inject)
)

// Event is one line of --json output. Fields irrelevant to a Kind are empty
// and omitted.
type Event struct {
	TS   time.Time `json:"ts"` // RFC 3339 with nanoseconds
	Kind Kind      `json:"kind"`

	// Where: set on packet, session, error and, when known, http and fault.
	Sid       string `json:"sid,omitempty"`
	Transport string `json:"transport,omitempty"` // "polling" or "websocket"
	Dir       string `json:"dir,omitempty"`       // "c2s" or "s2c"
	EIO       int    `json:"eio,omitempty"`       // 3 or 4
	Client    string `json:"client,omitempty"`    // client address

	// Packet: the Engine.IO layer.
	Engine string `json:"engine,omitempty"` // open, close, ping, pong, message, upgrade, noop
	Data   string `json:"data,omitempty"`   // engine payload that is not Socket.IO (e.g. "probe")
	Binary bool   `json:"binary,omitempty"` // the engine packet was binary
	Size   int    `json:"size,omitempty"`   // bytes of the engine packet(s) on the wire, attachments included

	// Packet: the Socket.IO layer, when the message carried one.
	Type        string          `json:"type,omitempty"` // CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK
	Nsp         string          `json:"nsp,omitempty"`
	ID          *int64          `json:"id,omitempty"`    // ack id
	Event       string          `json:"event,omitempty"` // event name (first arg of EVENT)
	Args        json.RawMessage `json:"args,omitempty"`  // JSON payload; attachments inlined as {"_binary":"<base64>"}
	Attachments int             `json:"attachments,omitempty"`
	AckMs       *float64        `json:"ack_ms,omitempty"`    // on an ACK: ms since its EVENT
	AckEvent    string          `json:"ack_event,omitempty"` // on an ACK: the name of the EVENT it answers
	Parser      string          `json:"parser,omitempty"`    // "msgpack" when the msgpack parser was used
	// Recovered is set on the server's CONNECT answering a connection
	// state recovery attempt (the client sent a pid back): whether the
	// server recovered the session.
	Recovered *bool `json:"recovered,omitempty"`
	// RTTMs is set on a pong: ms since the ping it answers (v4: server ping,
	// client pong; v3: the reverse).
	RTTMs *float64 `json:"rtt_ms,omitempty"`

	// Session.
	Action       string   `json:"action,omitempty"`  // open, upgrade, close
	Reason       string   `json:"reason,omitempty"`  // close reason, e.g. "transport close", "ping timeout"
	By           string   `json:"by,omitempty"`      // "client" or "server"
	Code         int      `json:"code,omitempty"`    // WebSocket close code
	How          string   `json:"how,omitempty"`     // close: "close packet", "close frame 1000", "TCP FIN without close frame (1006)", …
	AgeMs        *float64 `json:"age_ms,omitempty"`  // close: the session's age
	IdleMs       *float64 `json:"idle_ms,omitempty"` // close: time since its last packet
	Upgrades     []string `json:"upgrades,omitempty"`
	PingInterval int      `json:"ping_interval,omitempty"`
	PingTimeout  int      `json:"ping_timeout,omitempty"`
	MaxPayload   int64    `json:"max_payload,omitempty"`

	// HTTP.
	Method     string   `json:"method,omitempty"`
	Path       string   `json:"path,omitempty"` // request URI
	Status     int      `json:"status,omitempty"`
	DurationMs *float64 `json:"duration_ms,omitempty"`

	// Fault.
	Fault *Fault `json:"fault,omitempty"`

	// Inject: the rule (canonical form, e.g. "drop-pongs=50%"); Action
	// says what it did ("dropped", "cut", "failed"…), Data what exactly.
	Rule string `json:"rule,omitempty"`

	// Error: what failed to decode.
	Error string `json:"error,omitempty"`

	// Drop.
	Dropped uint64 `json:"dropped,omitempty"`
	Where   string `json:"where,omitempty"` // which queue dropped them

	// Active: what sioproxy's active layer did to it; absent when nothing.
	Active *Active `json:"active,omitempty"`

	// Not serialised: references for the TUI's detail view.
	Raw      []byte   `json:"-"` // the engine packet's wire bytes
	Buffers  [][]byte `json:"-"` // binary attachments
	Exchange uint64   `json:"-"` // obs.HTTPExchange.ID that carried it, 0 for WebSocket
	Conn     uint64   `json:"-"` // obs WebSocket connection id, 0 for polling
	Seq      uint64   `json:"-"` // position on the event bus
	// ArgsCompact vouches that Args is one valid JSON value with no
	// whitespace outside strings, nested at most 10000 deep, so the
	// --json writer copies it instead of scanning it again. The decoder
	// sets it; whoever changes Args must clear it. False promises nothing.
	ArgsCompact bool `json:"-"`
	// Trimmed counts the bytes of args, data, wire bytes and attachments
	// that Trim left out of this copy (the terminal UI's memory budget);
	// 0 when the event is whole.
	Trimmed int64 `json:"-"`
	// IDUnsigned: *ID holds the bits of an ack id above MaxInt64 (a
	// msgpack uint64); AppendID shows the exact unsigned value.
	IDUnsigned bool `json:"-"`

	// Upstream is the target that served an http event ("" if unknown),
	// for the TUI's per-target reachability in the status bar.
	Upstream string `json:"-"`
}

// Severity of a fault.
type Severity string

const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Fault is a diagnosed problem, keyed by Code and Sid. Repeats fold into one
// fault with a Count and first and last times.
type Fault struct {
	Code     string    `json:"code"`    // stable snake_case, e.g. "cors_origin_mismatch"
	Catalog  string    `json:"catalog"` // FAULTS.md id, e.g. "B2"
	Severity Severity  `json:"severity"`
	Summary  string    `json:"summary"` // one sentence naming the actual values
	Evidence []string  `json:"evidence,omitempty"`
	Fix      string    `json:"fix"`
	Count    int       `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`

	// Cause is the code of the fault this one follows from (e.g. H2
	// polling_overlap caused by C2 sid_routed_to_other_upstream): a
	// consequence to show under its cause, not a root cause of its own.
	Cause string `json:"cause,omitempty"`
	// Target is the upstream a fault is about (upstream_unreachable).
	Target string `json:"target,omitempty"`
	// Injected names the --inject rule that staged this fault
	// ("--inject drop-pongs"); empty for a fault sioproxy did not cause.
	Injected string `json:"injected,omitempty"`
}

// AppendID appends the ack id in decimal, exactly as it was on the wire;
// nothing if there is none.
func (ev *Event) AppendID(b []byte) []byte {
	switch {
	case ev.ID == nil:
		return b
	case ev.IDUnsigned:
		return strconv.AppendUint(b, uint64(*ev.ID), 10)
	}
	return strconv.AppendInt(b, *ev.ID, 10)
}

// IDString is AppendID as a string.
func (ev *Event) IDString() string { return string(ev.AppendID(nil)) }
