package active

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
)

// Actor is anything registered on an Engine: a breakpoint, a rule, a fault.
// It implements one or more of the hook interfaces below; Name is what the
// user sees on every packet it acted on.
type Actor interface {
	Name() string
}

// UpgradeHook sees every WebSocket upgrade request before it goes upstream.
type UpgradeHook interface {
	Actor
	OnUpgrade(u *Upgrade)
}

// MessageHook sees every Engine.IO packet of every active connection, per
// direction, on WebSocket and on polling. It may change, drop, delay or
// hold it (by blocking), and inject through c.
type MessageHook interface {
	Actor
	OnMessage(c *Conn, m *Message)
}

// ExchangeHook sees Engine.IO polling requests before they go upstream and
// their whole answers before they go back to the client.
type ExchangeHook interface {
	Actor
	OnRequest(x *Exchange)
	OnResponse(x *Exchange)
}

// CloseHook is told when a connection (WebSocket) or a polling session
// ends.
type CloseHook interface {
	Actor
	OnClose(c *Conn)
}

// Upgrade is a WebSocket upgrade request on its way upstream.
type Upgrade struct {
	Request *http.Request // read only
	Sid     string        // the sid query, "" for a WebSocket-only session
	EIO     eio.Version

	refused bool
	status  int
	body    string
	rule    string
}

// Refuse answers the upgrade with status and body instead of relaying it
// (the upstream never sees the request).
func (u *Upgrade) Refuse(status int, body, rule string) {
	u.refused, u.status, u.body, u.rule = true, status, body, rule
}

// Refused reports the answer set by Refuse.
func (u *Upgrade) Refused() (status int, body, rule string, ok bool) {
	return u.status, u.body, u.rule, u.refused
}

// Message is one Engine.IO packet in flight: one WebSocket data message, a
// WebSocket control frame (Opcode 8, 9, 10; no Engine.IO packet), or one
// packet of a polling payload.
type Message struct {
	Dir       decode.Dir
	Transport decode.Transport
	Opcode    byte // WebSocket opcode; on polling 1 (text) or 2 (binary)
	// Raw is the Engine.IO packet as its sender sent it (a WebSocket
	// message unmasked and inflated). Valid only during the hook call.
	Raw []byte
	// EIO is the decoded Engine.IO packet when EIOErr is nil (data
	// messages only).
	EIO    eio.Packet
	EIOErr error
	// SIO is the Socket.IO packet in an Engine.IO message packet, nil if
	// there is none or it did not decode (a binary attachment frame of a
	// text-parser session has Attachment set instead).
	SIO        *sio.Packet
	Attachment bool

	// Results of the hooks.
	drop     bool
	delay    time.Duration
	replaced bool
	out      []byte
	outBin   bool
	rules    []string
	conn     *Conn
}

// Drop tells the relay not to forward the message.
func (m *Message) Drop(rule string) { m.drop = true; m.mark(rule) }

// Dropped reports whether a hook dropped the message.
func (m *Message) Dropped() bool { return m.drop }

// Delay holds the message (and every later one in its direction) for d
// before forwarding it.
func (m *Message) Delay(d time.Duration, rule string) { m.delay += d; m.mark(rule) }

// Replace forwards data (an Engine.IO packet, binary when binary is true)
// instead of the message.
func (m *Message) Replace(data []byte, binary bool, rule string) {
	m.replaced, m.out, m.outBin = true, data, binary
	m.mark(rule)
}

// Data is what will be forwarded: Raw, or what Replace set.
func (m *Message) Data() (data []byte, binary bool) {
	if m.replaced {
		return m.out, m.outBin
	}
	return m.Raw, m.Opcode == 2
}

// Rules names the actors that acted on the message so far.
func (m *Message) Rules() []string { return m.rules }

func (m *Message) mark(rule string) {
	if rule != "" && (len(m.rules) == 0 || m.rules[len(m.rules)-1] != rule) {
		m.rules = append(m.rules, rule)
	}
}

// SetArgs replaces the JSON array of a Socket.IO EVENT or ACK (event name
// included for an EVENT) and re-encodes the packet with the session's
// parser (text or msgpack). Binary attachments are kept.
func (m *Message) SetArgs(args json.RawMessage, rule string) error {
	return m.setArgs(args, rule)
}

// Exchange is one Engine.IO polling request and, in OnResponse, its
// answer. Dir is C2S for a POST (the body carries client packets) and S2C
// for a GET (the answer carries server packets).
type Exchange struct {
	Dir     decode.Dir
	Sid     string
	EIO     eio.Version
	Request *http.Request // read only; its body is in ReqBody
	ReqBody []byte

	// Response, valid in OnResponse (and after Respond). Body is the
	// decoded body (Content-Encoding removed).
	Status int
	Header http.Header
	Body   []byte

	respond bool
	changed bool
	rules   []string
}

// Respond, called in OnRequest, answers the client without asking the
// upstream; in OnResponse it replaces the upstream's answer.
func (x *Exchange) Respond(status int, header http.Header, body []byte, rule string) {
	if header == nil {
		header = http.Header{"Content-Type": {"text/plain; charset=UTF-8"}}
	}
	x.respond, x.changed = true, true
	x.Status, x.Header, x.Body = status, header, body
	if rule != "" {
		x.rules = append(x.rules, rule)
	}
}

// Injection is a Socket.IO message sioproxy sends in one side's name.
type Injection struct {
	// As is the side sioproxy speaks for: C2S sends to the server as the
	// client, S2C to the client as the server.
	As    decode.Dir
	Nsp   string            // "" means "/"
	Event string            // EVENT name; empty with Packet set
	Args  []json.RawMessage // JSON values after the name
	// Attachments are binary arguments appended after Args (a
	// BINARY_EVENT on the text parser, bin values with msgpack).
	Attachments [][]byte
	// Ack asks the receiver for an acknowledgement. The ack id is taken
	// outside the sender's own range and the ACK is consumed: it is
	// reported (AckResult) and never delivered to the side that did not
	// ask for it.
	Ack  bool
	Rule string // shown as the packet's rule; default "inject"
}

// AckResult is the answer to an injected EVENT with Ack.
type AckResult struct {
	ID      int64
	Args    json.RawMessage
	Latency time.Duration
}
