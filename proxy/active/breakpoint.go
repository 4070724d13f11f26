package active

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
)

// Matcher is a parsed filter (tui.Filter satisfies it).
type Matcher interface {
	Match(*event.Event) bool
}

// Breakpoints is the TUI's intercept actor: a message matching one of its
// filters is held, and every later message of that direction of that
// connection queues behind it, until the user decides. Heartbeats
// (Engine.IO ping/pong, WebSocket control frames) are never held.
type Breakpoints struct {
	e     *Engine
	parse func(string) (Matcher, error)

	mu      sync.Mutex
	filters []bpFilter
	held    []*Held
	nextID  int
	unreg   func()
}

type bpFilter struct {
	src string
	m   Matcher
}

// Held is a message waiting for a decision.
type Held struct {
	ID        int
	Sid       string
	Dir       string // "c2s" or "s2c"
	Transport string
	Type      string // Socket.IO type, "" for a plain Engine.IO packet
	Nsp       string
	Event     string
	// Args is the packet's JSON (event name first for an EVENT).
	Args json.RawMessage
	// Filter is the breakpoint that matched.
	Filter string
	Since  time.Time
	// Deadline is when the peer's heartbeat gives up if this direction
	// stays blocked (last pingInterval + pingTimeout; zero when unknown).
	Deadline time.Time

	decided chan decision
}

// Breakpoint decisions.
const (
	Forward          = "forward"   // with the args as edited
	ForwardUnchanged = "unchanged" // the original
	DropHeld         = "drop"
	ForwardAll       = "all" // forward this and every held message, clear the breakpoints
)

type decision struct {
	action string
	args   json.RawMessage
}

// NewBreakpoints returns the breakpoint actor of e; parse is the filter
// syntax (tui.ParseFilter). It registers itself while it has filters.
func NewBreakpoints(e *Engine, parse func(string) (Matcher, error)) *Breakpoints {
	return &Breakpoints{e: e, parse: parse}
}

// Name implements Actor.
func (b *Breakpoints) Name() string { return "breakpoint" }

// Add sets a breakpoint on filter.
func (b *Breakpoints) Add(filter string) error {
	m, err := b.parse(filter)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filters = append(b.filters, bpFilter{filter, m})
	if b.unreg == nil {
		u, err := b.e.Register(b)
		if err != nil {
			return err
		}
		b.unreg = u
	}
	return nil
}

// Filters lists the breakpoints.
func (b *Breakpoints) Filters() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(b.filters))
	for i, f := range b.filters {
		out[i] = f.src
	}
	return out
}

// Clear removes every breakpoint and forwards what is held unchanged.
func (b *Breakpoints) Clear() {
	b.mu.Lock()
	b.filters = nil
	held := b.held
	b.held = nil
	if b.unreg != nil {
		b.unreg()
		b.unreg = nil
	}
	b.mu.Unlock()
	for _, h := range held {
		h.decided <- decision{action: ForwardUnchanged}
	}
}

// Held lists the held messages, oldest first.
func (b *Breakpoints) Held() []Held {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Held, len(b.held))
	for i, h := range b.held {
		out[i] = *h
	}
	return out
}

// Resolve decides held message id: Forward (with args, nil for the
// original), ForwardUnchanged, DropHeld or ForwardAll.
func (b *Breakpoints) Resolve(id int, action string, args json.RawMessage) error {
	switch action {
	case Forward, ForwardUnchanged, DropHeld:
	case ForwardAll:
		b.Clear()
		return nil
	default:
		return fmt.Errorf("unknown decision %q", action)
	}
	if action == Forward && args != nil && !json.Valid(args) {
		return errors.New("the edited args are not valid JSON")
	}
	b.mu.Lock()
	var h *Held
	for i, x := range b.held {
		if x.ID == id {
			h = x
			b.held = append(b.held[:i:i], b.held[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no held message %d", id)
	}
	h.decided <- decision{action, args}
	return nil
}

// OnMessage holds a matching message until Resolve.
func (b *Breakpoints) OnMessage(c *Conn, m *Message) {
	if m.Opcode >= 8 || m.EIOErr != nil || m.EIO.Type == eio.Ping || m.EIO.Type == eio.Pong || m.Attachment {
		return
	}
	b.mu.Lock()
	if len(b.filters) == 0 {
		b.mu.Unlock()
		return
	}
	ev := m.Event()
	var hit string
	for _, f := range b.filters {
		if f.m.Match(ev) {
			hit = f.src
			break
		}
	}
	if hit == "" {
		b.mu.Unlock()
		return
	}
	b.nextID++
	now := b.e.opts.Now()
	h := &Held{ID: b.nextID, Sid: ev.Sid, Dir: ev.Dir, Transport: ev.Transport, Type: ev.Type, Nsp: ev.Nsp,
		Event: ev.Event, Args: append(json.RawMessage(nil), ev.Args...), Filter: hit, Since: now,
		decided: make(chan decision, 1)}
	if h.Args == nil && !m.EIO.Binary {
		h.Args = json.RawMessage(jsonString(string(m.EIO.Data)))
	}
	if iv, to := c.Heartbeat(); iv > 0 {
		h.Deadline = now.Add(iv + to)
	}
	b.held = append(b.held, h)
	b.mu.Unlock()

	var d decision
	select {
	case d = <-h.decided:
	case <-c.done():
		b.forget(h)
		return
	}
	switch d.action {
	case DropHeld:
		m.Drop("breakpoint")
	case Forward:
		if d.args == nil || string(d.args) == string(h.Args) {
			m.mark("breakpoint")
			return
		}
		if m.SIO == nil || m.SIO.Type == sio.Connect || m.SIO.Type == sio.Disconnect {
			// A plain Engine.IO packet or CONNECT: the edit is its data.
			var s string
			if json.Unmarshal(d.args, &s) == nil {
				m.Replace(append([]byte{m.Raw[0]}, s...), false, "breakpoint")
			}
			return
		}
		if err := m.SetArgs(d.args, "breakpoint"); err != nil {
			m.mark("breakpoint (edit failed: " + err.Error() + ")")
		}
	default:
		m.mark("breakpoint")
	}
}

func (b *Breakpoints) forget(h *Held) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.held {
		if x == h {
			b.held = append(b.held[:i:i], b.held[i+1:]...)
			return
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
