package active

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// WSConfig is what the proxy's relay hands the active layer for one
// WebSocket once the upstream answered 101.
type WSConfig struct {
	ID         uint64
	Client     string
	URL        string // request URI; its EIO and sid queries name the session
	Extensions string // the server's Sec-WebSocket-Extensions
	// TapParser returns the relay's passive parser of dir, which has seen
	// every byte forwarded that way; it is cloned when dir switches to
	// message mode. Called on dir's relay goroutine only.
	TapParser func(dir decode.Dir) *ws.Parser
	// Observe feeds bytes just about to be written towards dir's receiver
	// to the relay's tap; a, when not nil, marks the data message they
	// hold. Calls for one dir are serialised.
	Observe func(dir decode.Dir, b []byte, a *obs.Active)
	// Push reports observations of messages that were not forwarded
	// (dropped, consumed ACKs).
	Push func(obs.Obs)
	// Write holds the writers to the receiver of each direction (index
	// decode.Dir): the upstream for C2S, the client for S2C.
	Write [2]io.Writer
	// Teardown closes both connections.
	Teardown func()
}

// WS is the active side of one WebSocket connection. The relay calls Relay
// with every chunk it read instead of writing the chunk itself.
type WS struct {
	c    *Conn
	cfg  WSConfig
	dirs [2]wsDir
	done chan struct{}
	once sync.Once
}

// OpenWS registers a WebSocket connection with the engine.
func (e *Engine) OpenWS(cfg WSConfig) *WS {
	_, rawq, _ := strings.Cut(cfg.URL, "?")
	q := eio.ParseQuery(rawq)
	w := &WS{cfg: cfg, done: make(chan struct{})}
	w.c = newConn(e, cfg.ID, decode.WebSocket, q.Version(), q.Sid, cfg.Client, w)
	ext, _ := ws.ParseExtensions(cfg.Extensions)
	for _, dir := range []decode.Dir{decode.C2S, decode.S2C} {
		d := &w.dirs[dir]
		d.w, d.dir = w, dir
		bits, noTakeover := ext.ClientMaxWindowBits, ext.ClientNoContextTakeover
		if dir == decode.S2C {
			bits, noTakeover = ext.ServerMaxWindowBits, ext.ServerNoContextTakeover
		}
		// flate always uses a 32 KiB window: a receiver that asked for a
		// smaller one gets uncompressed messages instead.
		d.compress = ext.Deflate && bits >= 15
		d.deflate = ext.Deflate
		d.resetEach = noTakeover
		d.emitFn = d.emit
	}
	e.add(w.c)
	return w
}

// Conn is the connection the actors see.
func (w *WS) Conn() *Conn { return w.c }

// Observed lets the connection learn session state (sid, heartbeat,
// parser, namespaces) from a data message its receiver got; the relay's
// tap calls it.
func (w *WS) Observed(dir decode.Dir, data []byte, binary bool) { w.c.observe(dir, data, binary) }

// Close unregisters the connection; the relay calls it when both
// directions ended.
func (w *WS) Close() {
	w.once.Do(func() { close(w.done) })
	w.c.end()
}

// Relay forwards one chunk read from dir's sender. Any error is a write
// error towards dir's receiver.
func (w *WS) Relay(dir decode.Dir, chunk []byte) error {
	return w.dirs[dir].relay(chunk)
}

// wsDir is one direction of an active WebSocket.
type wsDir struct {
	w   *WS
	dir decode.Dir

	mu    sync.Mutex // serialises writes (relay and injections) and Observe
	bound boundary   // transparent mode: where whole messages end
	queue []outPacket

	msgMode bool
	lost    bool       // message mode gave up (undecodable): raw forwarding
	in      *ws.Parser // message mode: parses what the sender sent
	pend    []byte     // message mode: input not yet forwarded
	pendOff int64      // input offset of pend[0]
	err     error      // first write error in message mode
	emitFn  func(*ws.Message)

	deflate   bool // permessage-deflate negotiated
	compress  bool // sioproxy may compress towards this receiver
	resetEach bool // the receiver resets its context for every message
	sticky    bool // the receiver's context is ours now: always re-frame
	fragBad   bool // a control frame interleaved the open data message
	skipAtt   int  // attachments of a consumed BINARY_ACK still to swallow
	fw        *flate.Writer
	fbuf      bytes.Buffer
}

func (d *wsDir) relay(chunk []byte) error {
	if d.msgMode {
		return d.relayMessages(chunk)
	}
	c := d.w.c
	d.mu.Lock()
	if !c.wantsMessages(d.dir) && len(d.queue) == 0 {
		// The transparent path: forward as read, follow frame headers.
		d.w.cfg.Observe(d.dir, chunk, nil)
		_, err := d.w.cfg.Write[d.dir].Write(chunk)
		d.bound.feed(chunk, false)
		d.mu.Unlock()
		return err
	}
	for len(chunk) > 0 {
		if d.bound.at() && c.wantsMessages(d.dir) && d.w.cfg.TapParser != nil {
			if tp := d.w.cfg.TapParser(d.dir); tp != nil && !tp.Undecodable() {
				d.in = tp.Clone()
				d.pendOff = d.in.Offset()
				d.msgMode = true
				d.mu.Unlock()
				return d.relayMessages(chunk)
			}
		}
		k := d.bound.feed(chunk, true)
		d.w.cfg.Observe(d.dir, chunk[:k], nil)
		if _, err := d.w.cfg.Write[d.dir].Write(chunk[:k]); err != nil {
			d.mu.Unlock()
			return err
		}
		chunk = chunk[k:]
		if d.bound.at() {
			if err := d.flushQueue(); err != nil {
				d.mu.Unlock()
				return err
			}
		}
	}
	d.mu.Unlock()
	return nil
}

// flushQueue writes injected packets waiting for a boundary; d.mu is held.
func (d *wsDir) flushQueue() error {
	q := d.queue
	d.queue = nil
	for _, p := range q {
		if err := d.writeOut(p, p.mark); err != nil {
			return err
		}
	}
	return nil
}

// writeOut frames one outgoing message uncompressed (injections never
// touch a compression context) and writes it; d.mu is held.
func (d *wsDir) writeOut(p outPacket, a *obs.Active) error {
	op := p.op
	if op == 0 {
		op = ws.OpText
		if p.binary {
			op = ws.OpBinary
		}
	}
	b := ws.AppendFrame(nil, op, true, false, d.maskKey(), p.data)
	d.w.cfg.Observe(d.dir, b, a)
	_, err := d.w.cfg.Write[d.dir].Write(b)
	return err
}

func (d *wsDir) maskKey() *[4]byte {
	if d.dir != decode.C2S {
		return nil
	}
	var k [4]byte
	rand.Read(k[:])
	return &k
}

// send implements wire for Conn: injected packets go out now when the
// stream is between messages, else as soon as it is.
func (w *WS) send(dir decode.Dir, pkts []outPacket, a *obs.Active) error {
	d := &w.dirs[dir]
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range pkts {
		pkts[i].mark = a
	}
	if !d.msgMode && !d.bound.at() || len(d.queue) > 0 {
		d.queue = append(d.queue, pkts...)
		return nil
	}
	for _, p := range pkts {
		if err := d.writeOut(p, a); err != nil {
			return err
		}
	}
	return nil
}

// shut implements wire: close frames both ways, or an abrupt end.
func (w *WS) shut(abrupt bool, code int, reason string) {
	if !abrupt {
		payload := ws.AppendClosePayload(nil, code, reason)
		for _, dir := range []decode.Dir{decode.C2S, decode.S2C} {
			w.send(dir, []outPacket{{data: payload, op: ws.OpClose}}, &obs.Active{Rules: []string{"close"}, Injected: true})
		}
		// The peers answer and close; a peer that does not is cut off.
		t := time.AfterFunc(2*time.Second, w.cfg.Teardown)
		go func() {
			<-w.done
			t.Stop()
		}()
		return
	}
	w.cfg.Teardown()
}

// relayMessages is message mode: every message is reassembled, offered to
// the hooks, then forwarded (original bytes while nothing changed,
// re-framed after).
func (d *wsDir) relayMessages(chunk []byte) error {
	if d.lost {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.w.cfg.Observe(d.dir, chunk, nil)
		_, err := d.w.cfg.Write[d.dir].Write(chunk)
		return err
	}
	d.pend = append(d.pend, chunk...)
	if err := d.in.Feed(chunk, d.emitFn); err != nil {
		// Framing is lost: forward what is pending as is, and everything
		// after; decoding stops, as on the transparent path.
		d.lost = true
		d.mu.Lock()
		d.w.cfg.Observe(d.dir, d.pend, nil)
		_, werr := d.w.cfg.Write[d.dir].Write(d.pend)
		d.mu.Unlock()
		d.pend = nil
		if d.err == nil {
			d.err = werr
		}
	}
	if len(d.pend) == 0 && cap(d.pend) > 64<<10 {
		d.pend = nil
	}
	return d.err
}

// emit handles one message in message mode.
func (d *wsDir) emit(m *ws.Message) {
	if d.err != nil {
		return
	}
	end := d.in.Offset()
	span := d.pend[:end-d.pendOff]
	c := d.w.c
	msg := &Message{Dir: d.dir, Transport: decode.WebSocket, Opcode: m.Opcode, Raw: m.Data, conn: c}
	control := m.Opcode >= 8
	interleaved := control && int64(len(span)) > int64(m.WireLen)
	if control {
		span = span[len(span)-m.WireLen:]
	}
	note, consumed := "", false
	if !control && m.Err == nil {
		c.decodeMessage(msg)
		if msg.Attachment && d.skipAtt > 0 {
			d.skipAtt--
			consumed, note = true, "attachment of a consumed ack"
		} else if msg.SIO != nil {
			if ok, n := c.consumeAck(d.dir, msg.SIO); ok {
				consumed, note = true, n
				if !msg.SIO.Msgpack {
					d.skipAtt = msg.SIO.Attachments
				}
			}
		}
	}
	if !consumed && m.Err == nil {
		for _, h := range c.e.hooks.Load().message {
			h.OnMessage(c, msg)
			if msg.drop {
				break
			}
		}
	}
	if msg.delay > 0 {
		t := time.NewTimer(msg.delay)
		select {
		case <-t.C:
		case <-d.w.done:
			t.Stop()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(end)
	switch {
	case consumed || msg.drop:
		if d.deflate && m.Compressed {
			d.sticky = true
		}
		a := &obs.Active{Rules: msg.rules, Dropped: !consumed, Consumed: consumed, Note: note}
		d.w.cfg.Push(obs.Obs{Kind: obs.KindWSMsg, Time: c.e.opts.Now(), WSMsg: &obs.WSMessage{
			Conn: d.w.cfg.ID, Dir: d.dir, Opcode: m.Opcode, Data: bytes.Clone(m.Data), Compressed: m.Compressed,
			WireLen: m.WireLen, Frames: m.Frames, Active: a}})
		if !control {
			d.fragBad = false
		}
		return
	case control && !msg.replaced:
		// Control frames are never compressed: their own bytes will do,
		// even between the fragments of a data message.
		if interleaved {
			d.fragBad = true
		}
		d.write(span, markOf(msg, false))
		return
	}
	reframe := (msg.replaced || d.sticky || d.fragBad) && m.Err == nil
	if !control {
		d.fragBad = false
	}
	if !reframe {
		d.write(span, markOf(msg, false))
		return
	}
	if d.deflate && m.Compressed {
		// The receiver's window now lacks what the sender compressed
		// against: the sender's later messages may point into it, so
		// this direction is re-framed from here on, compressed or not.
		d.sticky = true
	}
	data, binary := msg.Data()
	op := m.Opcode
	if msg.replaced && !control {
		op = ws.OpText
		if binary {
			op = ws.OpBinary
		}
	}
	a := markOf(msg, true)
	if msg.replaced {
		a.Original, a.OriginalBinary = bytes.Clone(m.Data), m.Opcode == ws.OpBinary
	}
	d.write(d.frame(op, data), a)
}

// advance drops input up to end from pend. Fragments before a control
// frame go too: their message will be re-framed from its reassembled data.
func (d *wsDir) advance(end int64) {
	n := int(end - d.pendOff)
	d.pend = d.pend[n:]
	d.pendOff = end
}

func markOf(m *Message, reframed bool) *obs.Active {
	if len(m.rules) == 0 && !reframed {
		return nil
	}
	return &obs.Active{Rules: m.rules, Reframed: reframed}
}

// write forwards b to the receiver; d.mu is held.
func (d *wsDir) write(b []byte, a *obs.Active) {
	d.w.cfg.Observe(d.dir, b, a)
	if _, err := d.w.cfg.Write[d.dir].Write(b); err != nil && d.err == nil {
		d.err = err
	}
}

// frame encodes one message as a single frame: masked towards the server,
// compressed with sioproxy's own context when the extension is on.
func (d *wsDir) frame(op byte, payload []byte) []byte {
	rsv1 := false
	if d.compress && op < 8 && len(payload) > 0 {
		d.sticky = true
		d.fbuf.Reset()
		if d.fw == nil {
			d.fw, _ = flate.NewWriter(&d.fbuf, flate.BestSpeed)
		} else if d.resetEach {
			d.fw.Reset(&d.fbuf)
		}
		d.fw.Write(payload)
		d.fw.Flush()
		payload = bytes.TrimSuffix(d.fbuf.Bytes(), []byte{0, 0, 0xff, 0xff})
		rsv1 = true
	}
	return ws.AppendFrame(nil, op, true, rsv1, d.maskKey(), payload)
}
