package active

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// Options configures an Engine.
type Options struct {
	// Now is the clock for observations and ack latencies. Default time.Now.
	Now func() time.Time
	// Push receives the observations the active layer makes itself:
	// dropped messages and consumed ACKs (the relay observes what it
	// forwards). Default: discard.
	Push func(obs.Obs)
}

// Engine holds the registered actors and the active connections. The zero
// value is not usable; call New. All methods are safe for concurrent use.
type Engine struct {
	opts  Options
	hooks atomic.Pointer[hookSet]

	mu     sync.Mutex
	actors []Actor
	conns  map[*Conn]struct{}
	polls  map[string]*Poll // polling sessions by sid
	swept  time.Time        // last sweep of idle polling sessions
	seq    uint64           // orders conns for Sessions

	// ackBase is where injected ack ids start: far above what a peer's
	// counter (from 0, one per emit) reaches, below 2^53 so JavaScript
	// keeps it exact.
	nextAck atomic.Int64
}

// FirstInjectedAckID is the first ack id given to an injected EVENT.
const FirstInjectedAckID = 1 << 50

// hookSet is an immutable snapshot of the actors by hook, swapped on every
// Register so the relay reads it with one atomic load.
type hookSet struct {
	upgrade  []UpgradeHook
	message  []MessageHook
	exchange []ExchangeHook
	close    []CloseHook
}

// New returns an Engine with no actors.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Push == nil {
		o.Push = func(obs.Obs) {}
	}
	e := &Engine{opts: o, conns: make(map[*Conn]struct{})}
	e.hooks.Store(&hookSet{})
	e.nextAck.Store(FirstInjectedAckID)
	return e
}

// Register adds an actor; the returned function removes it. An actor that
// implements none of the hook interfaces is an error, so a typo in a
// method name does not go unnoticed.
func (e *Engine) Register(a Actor) (unregister func(), err error) {
	switch a.(type) {
	case UpgradeHook, MessageHook, ExchangeHook, CloseHook:
	default:
		return nil, fmt.Errorf("active: actor %q implements no hook", a.Name())
	}
	e.mu.Lock()
	e.actors = append(e.actors, a)
	e.rebuild()
	e.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			for i, x := range e.actors {
				if x == a {
					e.actors = append(e.actors[:i:i], e.actors[i+1:]...)
					break
				}
			}
			e.rebuild()
			e.mu.Unlock()
		})
	}, nil
}

// rebuild publishes a new hook snapshot; e.mu is held.
func (e *Engine) rebuild() {
	h := &hookSet{}
	for _, a := range e.actors {
		if x, ok := a.(UpgradeHook); ok {
			h.upgrade = append(h.upgrade, x)
		}
		if x, ok := a.(MessageHook); ok {
			h.message = append(h.message, x)
		}
		if x, ok := a.(ExchangeHook); ok {
			h.exchange = append(h.exchange, x)
		}
		if x, ok := a.(CloseHook); ok {
			h.close = append(h.close, x)
		}
	}
	e.hooks.Store(h)
}

// Actors returns the registered actors' names.
func (e *Engine) Actors() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, len(e.actors))
	for i, a := range e.actors {
		names[i] = a.Name()
	}
	return names
}

// WantsMessages reports whether any MessageHook is registered: the relay
// then reassembles messages before forwarding them.
func (e *Engine) WantsMessages() bool { return len(e.hooks.Load().message) > 0 }

// WantsExchanges reports whether polling requests must be buffered whole.
func (e *Engine) WantsExchanges() bool {
	h := e.hooks.Load()
	return len(h.message) > 0 || len(h.exchange) > 0
}

// OnUpgrade runs the UpgradeHooks; the relay calls it for every upgrade.
func (e *Engine) OnUpgrade(u *Upgrade) {
	for _, h := range e.hooks.Load().upgrade {
		h.OnUpgrade(u)
		if u.refused {
			return
		}
	}
}

// SessionInfo describes one active connection for `sioproxy sessions`.
type SessionInfo struct {
	Sid        string    `json:"sid"`
	Transport  string    `json:"transport"`
	EIO        int       `json:"eio"`
	Conn       uint64    `json:"conn,omitempty"`
	Client     string    `json:"client,omitempty"`
	Opened     time.Time `json:"opened"`
	Namespaces []string  `json:"namespaces,omitempty"`
	Parser     string    `json:"parser"` // "json" or "msgpack"
}

// Sessions lists the live connections, oldest first.
func (e *Engine) Sessions() []SessionInfo {
	e.mu.Lock()
	cs := make([]*Conn, 0, len(e.conns))
	for c := range e.conns {
		cs = append(cs, c)
	}
	e.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	out := make([]SessionInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Info())
	}
	return out
}

// ErrNoSession is returned by Inject when no live connection matches.
var ErrNoSession = errors.New("no live Socket.IO session")

// Inject sends in on the session sid (a prefix is enough when it is
// unique), or on the newest session when sid is "". With in.Ack the
// returned channel receives the ACK once.
func (e *Engine) Inject(sid string, in Injection) (<-chan AckResult, *Conn, error) {
	c, err := e.find(sid)
	if err != nil {
		return nil, nil, err
	}
	ch, err := c.Inject(in)
	return ch, c, err
}

func (e *Engine) find(sid string) (*Conn, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// The newest connection wins: after an upgrade the WebSocket, not the
	// polling transport it replaced.
	var best *Conn
	sids := map[string]bool{}
	for c := range e.conns {
		s := c.Sid()
		if s == "" || c.closed.Load() || !strings.HasPrefix(s, sid) {
			continue
		}
		sids[s] = true
		if best == nil || c.seq > best.seq {
			best = c
		}
	}
	switch {
	case best == nil && sid == "":
		return nil, ErrNoSession
	case best == nil:
		return nil, fmt.Errorf("%w with sid %q", ErrNoSession, sid)
	case sid != "" && len(sids) > 1 && !sids[sid]:
		return nil, fmt.Errorf("sid prefix %q matches %d sessions; give more of it", sid, len(sids))
	case sids[sid]:
		// An exact sid beats longer ones it prefixes.
		var exact *Conn
		for c := range e.conns {
			if c.Sid() == sid && !c.closed.Load() && (exact == nil || c.seq > exact.seq) {
				exact = c
			}
		}
		return exact, nil
	}
	return best, nil
}

func (e *Engine) add(c *Conn) {
	e.mu.Lock()
	e.seq++
	c.seq = e.seq
	e.conns[c] = struct{}{}
	e.mu.Unlock()
}

func (e *Engine) remove(c *Conn) {
	e.mu.Lock()
	delete(e.conns, c)
	e.mu.Unlock()
	for _, h := range e.hooks.Load().close {
		h.OnClose(c)
	}
}
