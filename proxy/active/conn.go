package active

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Conn is one WebSocket connection, or one Engine.IO polling session, that
// the active layer can act on. It learns the session's sid, versions,
// parser, heartbeat and namespaces from the traffic it relays.
type Conn struct {
	e         *Engine
	ID        uint64 // WebSocket connection id (obs.WSOpen.Conn); 0 for polling
	Transport decode.Transport
	EIO       eio.Version
	Client    string
	Opened    time.Time

	w   wire
	seq uint64

	// want counts, per direction, reasons to reassemble messages besides
	// the Engine's MessageHooks (an ACK awaited for an injected EVENT).
	want   [2]atomic.Int32
	closed atomic.Bool
	doneCh chan struct{} // closed by end

	mu           sync.Mutex
	sid          string
	msgpack      bool
	pingInterval time.Duration
	pingTimeout  time.Duration
	nsps         map[string]bool
	acks         map[int64]*pendingAck
}

type pendingAck struct {
	dir  decode.Dir // direction the EVENT went; the ACK comes back the other way
	nsp  string
	sent time.Time
	ch   chan AckResult
}

// wire is what a Conn sends through: the WebSocket relay or the polling
// queues.
type wire interface {
	// send delivers Engine.IO packets (each one WebSocket message) to the
	// receiver of dir, whole and in order, marked with a.
	send(dir decode.Dir, pkts []outPacket, a *obs.Active) error
	// shut ends the connection: a close frame with code and reason, or,
	// abrupt, a TCP reset without one.
	shut(abrupt bool, code int, reason string)
}

type outPacket struct {
	data   []byte
	binary bool
	op     byte        // WebSocket opcode when not a data message (a close frame)
	mark   *obs.Active // set by the wire while the packet waits
}

func newConn(e *Engine, id uint64, t decode.Transport, v eio.Version, sid, client string, w wire) *Conn {
	return &Conn{e: e, ID: id, Transport: t, EIO: v, sid: sid, Client: client, Opened: e.opts.Now(), w: w,
		nsps: map[string]bool{}, acks: map[int64]*pendingAck{}, doneCh: make(chan struct{})}
}

// Sid is the Engine.IO session id, "" until the handshake was seen.
func (c *Conn) Sid() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid
}

// Msgpack reports whether the session uses socket.io-msgpack-parser.
func (c *Conn) Msgpack() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgpack
}

// Heartbeat returns the handshake's pingInterval and pingTimeout (0 when
// the handshake was not seen).
func (c *Conn) Heartbeat() (interval, timeout time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pingInterval, c.pingTimeout
}

// Age is the time since the connection opened.
func (c *Conn) Age() time.Duration { return c.e.opts.Now().Sub(c.Opened) }

// Close ends the connection: a WebSocket close frame with code and reason
// to both sides, or, when abrupt, a plain TCP close without one.
func (c *Conn) Close(abrupt bool, code int, reason string) { c.w.shut(abrupt, code, reason) }

// Info describes the connection for `sioproxy sessions`.
func (c *Conn) Info() SessionInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	si := SessionInfo{Sid: c.sid, Transport: c.Transport.String(), EIO: int(c.EIO), Conn: c.ID,
		Client: c.Client, Opened: c.Opened, Parser: "json"}
	if c.msgpack {
		si.Parser = "msgpack"
	}
	for n := range c.nsps {
		si.Namespaces = append(si.Namespaces, n)
	}
	sort.Strings(si.Namespaces)
	return si
}

// wantsMessages reports whether direction dir must be reassembled.
func (c *Conn) wantsMessages(dir decode.Dir) bool {
	return c.e.WantsMessages() || c.want[dir].Load() > 0
}

// protocol is the Socket.IO protocol of the session.
func (c *Conn) protocol() int {
	if c.EIO == eio.V3 {
		return 4
	}
	return 5
}

// observe learns session state from a data message the receiver got.
func (c *Conn) observe(dir decode.Dir, data []byte, binary bool) {
	if !binary && !teaches(dir, data) {
		return
	}
	p, err := eio.DecodePacket(c.EIO, data, binary)
	if err != nil {
		return
	}
	switch {
	case p.Type == eio.Open && dir == decode.S2C:
		if h, err := eio.ParseOpen(p.Data); err == nil {
			c.mu.Lock()
			if c.sid == "" {
				c.sid = h.Sid
			}
			c.pingInterval = time.Duration(h.PingInterval) * time.Millisecond
			c.pingTimeout = time.Duration(h.PingTimeout) * time.Millisecond
			c.mu.Unlock()
		}
	case p.Type == eio.Message && p.Binary:
		if sio.LooksLikeMsgpack(p.Data) {
			if sp, err := sio.DecodeMsgpack(p.Data); err == nil {
				c.mu.Lock()
				c.msgpack = true
				if sp.Type == sio.Connect && dir == decode.S2C {
					c.nsps[nspOr(sp.Nsp)] = true
				}
				c.mu.Unlock()
			}
		}
	case p.Type == eio.Message:
		if len(p.Data) > 0 && p.Data[0] == '0' && dir == decode.S2C {
			if h, _, err := sio.ParseHeader(p.Data); err == nil {
				c.mu.Lock()
				c.nsps[nspOr(h.Nsp)] = true
				c.mu.Unlock()
			}
		}
	}
}

// teaches says, from its first bytes, whether a text message can teach
// observe anything: the server's open packet, its CONNECT replies, and
// base64 binary messages. Every other text message (nearly all of them)
// skips an Engine.IO decode the analyzer makes anyway.
func teaches(dir decode.Dir, data []byte) bool {
	switch {
	case len(data) == 0:
		return false
	case data[0] == 'b':
		return true
	case dir != decode.S2C:
		return false
	}
	return data[0] == '0' || data[0] == '4' && len(data) > 1 && data[1] == '0'
}

func nspOr(n string) string {
	if n == "" {
		return "/"
	}
	return n
}

// Inject sends a Socket.IO EVENT in.As, between whole messages. With in.Ack
// the returned channel receives the ACK (once); it is never delivered to
// the side sioproxy spoke for.
func (c *Conn) Inject(in Injection) (<-chan AckResult, error) {
	if c.closed.Load() {
		return nil, errors.New("connection closed")
	}
	if in.Event == "" {
		return nil, errors.New("inject: empty event name")
	}
	if in.Rule == "" {
		in.Rule = "inject"
	}
	nsp := nspOr(in.Nsp)
	args := make([]any, 0, 1+len(in.Args)+len(in.Attachments))
	args = append(args, in.Event)
	for i, a := range in.Args {
		if !json.Valid(a) {
			return nil, fmt.Errorf("inject: argument %d is not JSON: %.40q", i+1, a)
		}
		args = append(args, a)
	}
	for _, b := range in.Attachments {
		args = append(args, b)
	}
	var id *int64
	var pa *pendingAck
	if in.Ack {
		n := c.e.nextAck.Add(1) - 1
		id = &n
		pa = &pendingAck{dir: in.As, nsp: nsp, ch: make(chan AckResult, 1)}
	}
	text, atts := sio.EncodeEvent(nsp, id, args...)
	pkts, err := c.encodeSIO(text, atts)
	if err != nil {
		return nil, err
	}
	if pa != nil {
		c.mu.Lock()
		c.acks[*id] = pa
		c.mu.Unlock()
		// The ACK comes back the other way: reassemble that direction
		// until it has been consumed.
		c.want[in.As.Reverse()].Add(1)
		pa.sent = c.e.opts.Now()
	}
	if err := c.w.send(in.As, pkts, &obs.Active{Rules: []string{in.Rule}, Injected: true}); err != nil {
		if pa != nil {
			c.mu.Lock()
			delete(c.acks, *id)
			c.mu.Unlock()
			c.want[in.As.Reverse()].Add(-1)
		}
		return nil, err
	}
	if pa == nil {
		return nil, nil
	}
	return pa.ch, nil
}

// InjectRaw sends one Engine.IO packet to dir's receiver as is.
func (c *Conn) InjectRaw(dir decode.Dir, data []byte, binary bool, rule string) error {
	return c.w.send(dir, []outPacket{{data: data, binary: binary}}, &obs.Active{Rules: []string{rule}, Injected: true})
}

// encodeSIO turns a text-parser Socket.IO packet and its attachments into
// Engine.IO packets for this session's parser.
func (c *Conn) encodeSIO(text []byte, atts [][]byte) ([]outPacket, error) {
	if c.Msgpack() {
		p, err := sio.Parse(text, 5)
		if err != nil {
			return nil, err
		}
		p.Buffers = atts
		b, err := sio.EncodeMsgpack(p)
		if err != nil {
			return nil, err
		}
		d, bin := eio.EncodePacket(c.EIO, eio.Packet{Type: eio.Message, Data: b, Binary: true})
		return []outPacket{{data: d, binary: bin}}, nil
	}
	d, bin := eio.EncodePacket(c.EIO, eio.Packet{Type: eio.Message, Data: text})
	out := []outPacket{{data: d, binary: bin}}
	for _, a := range atts {
		d, bin := eio.EncodePacket(c.EIO, eio.Packet{Type: eio.Message, Data: a, Binary: true})
		out = append(out, outPacket{data: d, binary: bin})
	}
	return out, nil
}

// Ack sends, as the receiver of an EVENT travelling dir, the ACK with id and
// args back to its sender: what a rule's "respond" does.
func (c *Conn) Ack(dir decode.Dir, nsp string, id int64, args []json.RawMessage, rule string) error {
	as := make([]any, len(args))
	for i, a := range args {
		as[i] = a
	}
	text, atts := sio.EncodeAck(nspOr(nsp), id, as...)
	pkts, err := c.encodeSIO(text, atts)
	if err != nil {
		return err
	}
	return c.w.send(dir.Reverse(), pkts, &obs.Active{Rules: []string{rule}, Injected: true})
}

// consumeAck takes an ACK travelling dir that answers an injected EVENT:
// it reports true and the relay must not forward it.
func (c *Conn) consumeAck(dir decode.Dir, p *sio.Packet) (bool, string) {
	if (p.Type != sio.Ack && p.Type != sio.BinaryAck) || !p.HasID || p.ID < FirstInjectedAckID {
		return false, ""
	}
	c.mu.Lock()
	pa := c.acks[p.ID]
	if pa != nil && pa.dir == dir.Reverse() {
		delete(c.acks, p.ID)
	} else {
		pa = nil
	}
	c.mu.Unlock()
	if pa == nil {
		return false, ""
	}
	c.want[dir].Add(-1)
	lat := c.e.opts.Now().Sub(pa.sent)
	pa.ch <- AckResult{ID: p.ID, Args: json.RawMessage(append([]byte(nil), p.Data...)), Latency: lat}
	return true, fmt.Sprintf("ack %d to an injected event, %.1f ms, not forwarded", p.ID, float64(lat)/float64(time.Millisecond))
}

// end marks the connection closed and unregisters it.
func (c *Conn) end() {
	if c.closed.Swap(true) {
		return
	}
	close(c.doneCh)
	c.e.remove(c)
}

// done is closed when the connection ended.
func (c *Conn) done() <-chan struct{} { return c.doneCh }
