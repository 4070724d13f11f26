package active

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// PollWire is what the proxy gives a polling session: a way to send
// sioproxy's own POST when client packets are injected while the client
// has nothing to send.
type PollWire interface {
	PostNow(p *Poll)
}

// Poll is the active side of one Engine.IO long-polling session. The
// proxy relays its requests through Filter (each packet offered to the
// hooks) and delivers what Take returns: packets injected towards the
// client ride the next GET answer, packets injected towards the server the
// next POST (the client's, or sioproxy's own while none is in flight).
type Poll struct {
	c    *Conn
	wire PollWire

	mu     sync.Mutex
	queue  [2][]eio.Packet
	marks  [2]*obs.Active
	notify chan struct{} // closed and replaced when S2C packets are queued
	last   time.Time

	// Owned by the proxy's polling relay.
	Relay any
}

// Polling returns the polling session sid, creating it on first sight.
// The proxy calls it for every polling request with a sid while an Engine
// is set; it is a map lookup.
func (e *Engine) Polling(sid string, v eio.Version, client string, w PollWire) *Poll {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pl := e.polls[sid]; pl != nil {
		pl.last = e.opts.Now()
		return pl
	}
	pl := &Poll{wire: w, notify: make(chan struct{}), last: e.opts.Now()}
	pl.c = newConn(e, 0, decode.Polling, v, sid, client, pl)
	e.seq++
	pl.c.seq = e.seq
	e.conns[pl.c] = struct{}{}
	if e.polls == nil {
		e.polls = map[string]*Poll{}
	}
	e.polls[sid] = pl
	if now := e.opts.Now(); now.Sub(e.swept) > pollIdle/4 {
		e.swept = now
		e.sweepPolls()
	}
	return pl
}

// pollIdle is how long a polling session may go without a request before
// it is forgotten (a closed tab sends nothing more).
const pollIdle = 2 * time.Minute

// sweepPolls forgets idle polling sessions; e.mu is held.
func (e *Engine) sweepPolls() {
	now := e.opts.Now()
	for sid, pl := range e.polls {
		if now.Sub(pl.last) > pollIdle {
			delete(e.polls, sid)
			delete(e.conns, pl.c)
			if !pl.c.closed.Swap(true) {
				close(pl.c.doneCh)
			}
		}
	}
}

// endPolling forgets the polling session sid (it closed or upgraded).
func (e *Engine) endPolling(sid string) {
	e.mu.Lock()
	pl := e.polls[sid]
	delete(e.polls, sid)
	e.mu.Unlock()
	if pl != nil {
		pl.c.end()
	}
}

// Conn is the session the actors see.
func (pl *Poll) Conn() *Conn { return pl.c }

// End forgets the session: the server refused it or it closed.
func (pl *Poll) End() { pl.c.e.endPolling(pl.c.Sid()) }

// Active reports whether the session's requests must go through the
// active path: some hook is registered, or something waits for it.
func (pl *Poll) Active() bool {
	if pl.c.e.WantsExchanges() || pl.c.want[0].Load() > 0 || pl.c.want[1].Load() > 0 {
		return true
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.queue[0]) > 0 || len(pl.queue[1]) > 0
}

// send implements wire: queue, then wake the GET or post.
func (pl *Poll) send(dir decode.Dir, pkts []outPacket, a *obs.Active) error {
	var ps []eio.Packet
	for _, o := range pkts {
		if o.op != 0 {
			continue // a close frame has no polling form
		}
		p, err := eio.DecodePacket(pl.c.EIO, o.data, o.binary)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	pl.mu.Lock()
	pl.queue[dir] = append(pl.queue[dir], ps...)
	pl.marks[dir] = mergeMark(pl.marks[dir], a)
	if dir == decode.S2C {
		close(pl.notify)
		pl.notify = make(chan struct{})
	}
	pl.mu.Unlock()
	if dir == decode.C2S && pl.wire != nil {
		go pl.wire.PostNow(pl)
	}
	return nil
}

// shut implements wire: polling has no close frame; an abrupt end makes
// the next GET answer a close packet.
func (pl *Poll) shut(abrupt bool, code int, reason string) {
	pl.send(decode.S2C, []outPacket{{data: []byte{'1'}}}, &obs.Active{Rules: []string{"close"}, Injected: true})
}

// Notify is closed when packets are queued towards the client.
func (pl *Poll) Notify() <-chan struct{} {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.notify
}

// Take returns and clears what is queued towards dir's receiver, with its
// mark.
func (pl *Poll) Take(dir decode.Dir) ([]eio.Packet, *obs.Active) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	q, a := pl.queue[dir], pl.marks[dir]
	pl.queue[dir], pl.marks[dir] = nil, nil
	return q, a
}

// Unshift puts packets back at the front of dir's queue (an answer that
// could not be delivered).
func (pl *Poll) Unshift(dir decode.Dir, ps []eio.Packet, a *obs.Active) {
	if len(ps) == 0 {
		return
	}
	pl.mu.Lock()
	pl.queue[dir] = append(append([]eio.Packet(nil), ps...), pl.queue[dir]...)
	pl.marks[dir] = mergeMark(a, pl.marks[dir])
	if dir == decode.S2C {
		close(pl.notify)
		pl.notify = make(chan struct{})
	}
	pl.mu.Unlock()
}

// Queue adds packets relayed from the upstream towards the client.
func (pl *Poll) Queue(dir decode.Dir, ps []eio.Packet, a *obs.Active) {
	if len(ps) == 0 && a == nil {
		return
	}
	pl.mu.Lock()
	pl.queue[dir] = append(pl.queue[dir], ps...)
	pl.marks[dir] = mergeMark(pl.marks[dir], a)
	if dir == decode.S2C {
		close(pl.notify)
		pl.notify = make(chan struct{})
	}
	pl.mu.Unlock()
}

// Filter offers each packet of a polling body travelling dir to the hooks
// (and consumes ACKs to injected EVENTs). It returns the packets to
// forward with the mark of what was done to them, and the packets that
// will not be forwarded (dropped, consumed) with theirs; marks are nil
// when nothing was done.
func (pl *Poll) Filter(dir decode.Dir, ps []eio.Packet) (out []eio.Packet, mark *obs.Active, gone []eio.Packet, goneMark *obs.Active) {
	c := pl.c
	hooks := c.e.hooks.Load().message
	out = ps[:0:0]
	skipAtt := 0
	for _, p := range ps {
		raw, bin := eio.EncodePacket(c.EIO, p)
		c.observe(dir, raw, bin)
		m := &Message{Dir: dir, Transport: decode.Polling, Opcode: 1, Raw: raw, conn: c}
		if bin {
			m.Opcode = 2
		}
		c.decodeMessage(m)
		if m.Attachment && skipAtt > 0 {
			skipAtt--
			gone = append(gone, p)
			continue
		}
		if m.SIO != nil {
			if ok, note := c.consumeAck(dir, m.SIO); ok {
				goneMark = addNote(goneMark, note)
				goneMark.Consumed = true
				if !m.SIO.Msgpack {
					skipAtt = m.SIO.Attachments
				}
				gone = append(gone, p)
				continue
			}
		}
		for _, h := range hooks {
			h.OnMessage(c, m)
			if m.drop {
				break
			}
		}
		if m.delay > 0 {
			time.Sleep(m.delay)
		}
		if m.drop {
			if goneMark == nil {
				goneMark = &obs.Active{}
			}
			for _, r := range m.rules {
				goneMark.Add(r)
			}
			goneMark.Dropped = true
			gone = append(gone, p)
			continue
		}
		if len(m.rules) > 0 {
			if mark == nil {
				mark = &obs.Active{}
			}
			for _, r := range m.rules {
				mark.Add(r)
			}
		}
		if m.replaced {
			np, err := eio.DecodePacket(c.EIO, m.out, m.outBin)
			if err != nil {
				mark = addNote(mark, fmt.Sprintf("replacement is not an Engine.IO packet (%v); original forwarded", err))
				out = append(out, p)
				continue
			}
			if mark.Original == nil {
				mark.Original, mark.OriginalBinary = bytes.Clone(raw), bin
			} else {
				mark = addNote(mark, "also edited "+clipNote(raw))
			}
			out = append(out, np)
			continue
		}
		out = append(out, p)
	}
	return out, mark, gone, goneMark
}

func clipNote(b []byte) string {
	s := string(b)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

func addNote(a *obs.Active, note string) *obs.Active {
	if a == nil {
		a = &obs.Active{}
	}
	if a.Note != "" {
		a.Note += "; "
	}
	a.Note += note
	return a
}

// mergeMark combines two marks of one exchange.
func mergeMark(a, b *obs.Active) *obs.Active {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	m := *a
	m.Rules = append(append([]string(nil), a.Rules...), b.Rules...)
	m.Injected = a.Injected || b.Injected
	m.Dropped = a.Dropped || b.Dropped
	m.Consumed = a.Consumed || b.Consumed
	if m.Original == nil {
		m.Original, m.OriginalBinary = b.Original, b.OriginalBinary
	}
	if b.Note != "" {
		if m.Note != "" {
			m.Note += "; "
		}
		m.Note += b.Note
	}
	return &m
}

// MergeMark combines two marks (for the proxy's polling relay).
func MergeMark(a, b *obs.Active) *obs.Active { return mergeMark(a, b) }

// RelayState returns the proxy's state for this session, creating it with
// mk on first use.
func (pl *Poll) RelayState(mk func() any) any {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.Relay == nil {
		pl.Relay = mk()
	}
	return pl.Relay
}

// Wake wakes a waiting GET without queueing anything (the upstream
// answered with an error the GET must relay).
func (pl *Poll) Wake() {
	pl.mu.Lock()
	close(pl.notify)
	pl.notify = make(chan struct{})
	pl.mu.Unlock()
}

// OnRequest runs the ExchangeHooks on a polling request before it goes
// upstream; it reports whether one answered it (x.Respond).
func (pl *Poll) OnRequest(x *Exchange) bool {
	x.Sid, x.EIO = pl.c.Sid(), pl.c.EIO
	for _, h := range pl.c.e.hooks.Load().exchange {
		h.OnRequest(x)
		if x.respond {
			return true
		}
	}
	return false
}

// OnResponse runs the ExchangeHooks on the upstream's whole answer; it
// reports whether one replaced it (x.Respond).
func (pl *Poll) OnResponse(x *Exchange) bool {
	x.Sid, x.EIO = pl.c.Sid(), pl.c.EIO
	for _, h := range pl.c.e.hooks.Load().exchange {
		h.OnResponse(x)
		if x.respond {
			return true
		}
	}
	return false
}

// Mark is what the exchange hooks did, nil if nothing.
func (x *Exchange) Mark() *obs.Active {
	if len(x.rules) == 0 {
		return nil
	}
	return &obs.Active{Rules: x.rules}
}

// Responded reports whether a hook answered or replaced the exchange.
func (x *Exchange) Responded() bool { return x.respond }
