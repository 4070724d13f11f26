package proxy

import (
	"fmt"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// faultActor is the --inject rules that act on Engine.IO packets, as an
// actor of the active layer (Options.Active): it drops, delays, corrupts
// or refuses messages and cuts connections through the layer's Message
// and Conn, so the relay's framing, masking, deflate and polling payloads
// stay right. Heartbeat drops and corruption apply to WebSocket and
// polling alike; the others are WebSocket's (polling has its own in
// inject_http.go). It is
// registered only while one of its rules is on: a MessageHook switches
// connections to message mode, which the transparent path avoids.
type faultActor struct {
	p *Proxy

	mu    sync.Mutex
	cuts  map[*active.Conn]*time.Timer
	links map[linkKey]*link
	unreg func()
}

// link is delay's model of one direction of a connection: a constant
// latency, not a queue. The layer holds a direction while a message waits,
// so a message read right after the previous one was released had
// arrived while it was held; it is due at that earlier arrival plus the
// delay, and a burst keeps its spacing.
type link struct {
	arrived  time.Time // estimated arrival of the previous message
	released time.Time // when the previous message was let go
}

type linkKey struct {
	c   *active.Conn
	dir decode.Dir
}

// queuedGap: a message handed over within this of the previous release
// was already waiting.
const queuedGap = 2 * time.Millisecond

// wsKinds are the rules the actor implements.
var wsKinds = []inject.Kind{inject.SwallowProbe, inject.DropPongs, inject.DropPings, inject.Corrupt,
	inject.CutWS, inject.Delay, inject.Loss, inject.Bandwidth, inject.Oversize}

// attachFaults registers the actor whenever a rule it implements is on.
func (p *Proxy) attachFaults() {
	set, eng := p.opts.Inject, p.opts.Active
	if set == nil || eng == nil {
		return
	}
	a := &faultActor{p: p, cuts: make(map[*active.Conn]*time.Timer), links: make(map[linkKey]*link)}
	sync := func(*inject.Entry, bool) {
		on := false
		for _, k := range wsKinds {
			on = on || set.Get(k) != nil
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		switch {
		case on && a.unreg == nil:
			a.unreg, _ = eng.Register(a)
		case !on && a.unreg != nil:
			a.unreg()
			a.unreg = nil
		}
	}
	set.OnChange(sync)
	sync(nil, false)
}

func (a *faultActor) Name() string { return "--inject" }

// rule is the name the layer shows on a message: "[dropped by --inject
// drop-pongs]".
func rule(e *inject.Entry) string { return "--inject " + e.Text }

// OnMessage implements active.MessageHook.
func (a *faultActor) OnMessage(c *active.Conn, m *active.Message) {
	set := a.p.opts.Inject
	ws := c.Transport == decode.WebSocket
	if ws {
		a.armCut(c)
	}
	data := m.Opcode == 1 || m.Opcode == 2
	if !data || m.EIOErr != nil {
		return
	}
	probe := string(m.EIO.Data) == "probe"
	switch {
	case m.EIO.Type == eio.Pong && probe && m.Dir == decode.S2C:
		if e := set.Get(inject.SwallowProbe); e != nil {
			a.hit(e, c, m, "dropped", "3probe never relayed")
			m.Drop(rule(e))
			return
		}
	case m.EIO.Type == eio.Pong && !probe:
		if e := set.Get(inject.DropPongs); e != nil && e.Roll() {
			a.hit(e, c, m, "dropped", "heartbeat pong dropped")
			m.Drop(rule(e))
			return
		}
	case m.EIO.Type == eio.Ping && !probe:
		if e := set.Get(inject.DropPings); e != nil && e.Roll() {
			a.hit(e, c, m, "dropped", "heartbeat ping dropped")
			m.Drop(rule(e))
			return
		}
	case m.EIO.Type == eio.Message:
		// On polling, oversize, cuts and shaping act on the exchanges
		// (inject_http.go).
		if e := set.Get(inject.Oversize); e != nil && ws && m.Dir == decode.C2S && int64(len(m.Raw)) > e.Size {
			a.hit(e, c, m, "refused", fmt.Sprintf("client message of %d bytes over %d: closed with 1009", len(m.Raw), e.Size))
			m.Drop(rule(e))
			c.Close(false, 1009, "Max payload size exceeded")
			return
		}
		if e := set.Get(inject.Corrupt); e != nil && m.SIO != nil && e.Roll() {
			if b, ok := corruptPacket(m.Raw, m.Opcode == 2); ok {
				a.hit(e, c, m, "corrupted", fmt.Sprintf("Socket.IO packet %.40q sent as %.40q", m.Raw, b))
				m.Replace(b, m.Opcode == 2, rule(e))
			}
		}
	}
	if ws {
		a.shape(c, m)
	}
}

// shape holds a message as delay, loss and bandwidth say. The layer holds
// every later message of the direction behind it, as a real link would.
func (a *faultActor) shape(c *active.Conn, m *active.Message) {
	set := a.p.opts.Inject
	d, de, le := shapeDelay(set, m.Dir == decode.C2S, true)
	if de != nil {
		a.once(de, c, m, "delayed", fmt.Sprintf("%s messages held %s", m.Dir, de.Text[len("delay="):]))
		m.Delay(0, rule(de))
		d = a.latency(c, m.Dir, d)
	}
	if le != nil {
		a.hit(le, c, m, "delayed", fmt.Sprintf("%s message retransmitted after a loss", m.Dir))
		m.Delay(0, rule(le))
	}
	if be := set.Get(inject.Bandwidth); be != nil {
		a.once(be, c, m, "throttled", fmt.Sprintf("%s paced at %d B/s", m.Dir, be.Rate))
		d += time.Duration(float64(len(m.Raw)+2) / float64(be.Rate) * float64(time.Second))
		m.Delay(0, rule(be))
	}
	if d > 0 {
		m.Delay(d, "")
	}
}

// latency turns delay's d into how long to hold this message on link
// (c, dir): d from its estimated arrival. The release time is recorded
// as now+hold, which is when the layer lets it go.
func (a *faultActor) latency(c *active.Conn, dir decode.Dir, d time.Duration) time.Duration {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.links[linkKey{c, dir}]
	if l == nil {
		l = &link{}
		a.links[linkKey{c, dir}] = l
	}
	arrived := now
	if !l.released.IsZero() && now.Sub(l.released) < queuedGap && l.arrived.Before(now) {
		arrived = l.arrived
	}
	hold := max(arrived.Add(d).Sub(now), 0)
	l.arrived, l.released = arrived, now.Add(hold)
	return hold
}

// armCut starts cut-ws's timer the first time a connection is seen.
func (a *faultActor) armCut(c *active.Conn) {
	e := a.p.opts.Inject.Get(inject.CutWS)
	a.mu.Lock()
	defer a.mu.Unlock()
	if e == nil || a.cuts[c] != nil {
		return
	}
	a.cuts[c] = time.AfterFunc(max(e.After-c.Age(), 0), func() {
		what := "cut without a close frame"
		if e.Frame {
			what = "closed with 1001 to both sides"
		}
		a.p.injectedConn(e, c, decode.S2C, "cut", fmt.Sprintf("WebSocket %s at age %v", what, e.After))
		if !e.Frame {
			// As if the server side dropped it (an intermediary between
			// sioproxy and the server timed out): the close is the
			// server's, not sioproxy's own teardown.
			a.p.markRelayEnd(c.ID, "server")
		}
		c.Close(!e.Frame, 1001, "sioproxy --inject "+e.Text)
	})
}

// OnClose implements active.CloseHook.
func (a *faultActor) OnClose(c *active.Conn) {
	a.mu.Lock()
	if t := a.cuts[c]; t != nil {
		t.Stop()
		delete(a.cuts, c)
	}
	delete(a.links, linkKey{c, decode.C2S})
	delete(a.links, linkKey{c, decode.S2C})
	a.mu.Unlock()
}

func (a *faultActor) hit(e *inject.Entry, c *active.Conn, m *active.Message, action, detail string) {
	a.p.injectedConn(e, c, m.Dir, action, detail)
}

// once reports a shaping rule once per connection and direction.
func (a *faultActor) once(e *inject.Entry, c *active.Conn, m *active.Message, action, detail string) {
	if a.p.onceSeen.first(fmt.Sprintf("%s\x00%d\x00%d", e.Text, c.ID, m.Dir)) {
		a.p.injectedConn(e, c, m.Dir, action, detail)
	} else {
		e.Hit()
	}
}

// injectedConn is injected for a WebSocket connection of the active layer.
func (p *Proxy) injectedConn(e *inject.Entry, c *active.Conn, dir decode.Dir, action, detail string) {
	e.Hit()
	in := &obs.Inject{Rule: e.Text, Action: action, Detail: detail, Conn: c.ID, Dir: dir, Client: c.Client}
	if sid := c.Sid(); sid != "" {
		in.URL = "?sid=" + sid
	}
	p.push(obs.Obs{Kind: obs.KindInject, Time: p.opts.Now(), Inject: in})
}

// corruptPacket makes a Socket.IO packet the receiver's parser refuses:
// the packet type digit of a text packet ("42[…]" → "49[…]"), or the
// first byte of a binary one. It reports false when there is nothing to
// corrupt.
func corruptPacket(raw []byte, binary bool) ([]byte, bool) {
	b := append([]byte(nil), raw...)
	switch {
	case !binary && len(b) >= 2 && b[0] == '4':
		b[1] = '9' // no Socket.IO packet type 9
	case binary && len(b) >= 1:
		b[0] ^= 0xff
	default:
		return nil, false
	}
	return b, true
}

var (
	_ active.MessageHook = (*faultActor)(nil)
	_ active.CloseHook   = (*faultActor)(nil)
)

// markRelayEnd records side as the one that ended WebSocket conn first.
func (p *Proxy) markRelayEnd(conn uint64, side string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for rl := range p.relays {
		if rl.id == conn {
			rl.markEnd(side)
			return
		}
	}
}
