// Package exchanges keeps the most recent observations, so the TUI's detail
// view can show the headers of the request that carried a packet, and the
// UI can save the current view as a lossless recording, without events
// having to carry raw wire data.
package exchanges

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Cache holds the newest Capacity observations in arrival order.
type Cache struct {
	mu   sync.Mutex
	buf  []obs.Obs
	next uint64 // total added; buf[i%len] holds the i-th
	http map[uint64]*obs.HTTPExchange
	ws   map[uint64]*obs.WSOpen

	// Byte bound (NewBytes): first is the oldest index still held.
	maxBytes int64
	bytes    int64
	first    uint64
	trimmed  atomic.Uint64 // observations kept without their payload, or not at all

	// Filter, if set, rewrites each observation before it is kept
	// (--redact). Set it before the first Add.
	Filter func(obs.Obs) obs.Obs
}

// NewBytes returns an empty cache bounded by capacity observations and by
// maxBytes (obs.Obs.Size): the oldest are evicted first. An observation
// larger than a sixteenth of maxBytes is not kept whole: an HTTP exchange
// keeps its headers and loses its bodies (marked truncated), a WebSocket
// message is not kept (Trimmed counts both).
func NewBytes(capacity int, maxBytes int64) *Cache {
	c := New(capacity)
	c.maxBytes = maxBytes
	return c
}

// Trimmed counts observations kept without their payload or not kept for
// the byte bound.
func (c *Cache) Trimmed() uint64 { return c.trimmed.Load() }

// Bytes is the size of what the cache holds (0 without a byte bound).
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// fit makes o small enough to keep, or reports false.
func (c *Cache) fit(o *obs.Obs) bool {
	if c.maxBytes <= 0 || int64(o.Size()) <= c.maxBytes/16 {
		return true
	}
	c.trimmed.Add(1)
	if o.HTTP == nil {
		return o.WSOpen != nil // a handshake is all headers: keep it
	}
	h := *o.HTTP
	h.ReqBody, h.RespBody = nil, nil
	h.ReqTrunc, h.RespTrunc = h.ReqLen > 0, h.RespLen > 0
	o.HTTP = &h
	return true
}

// evict forgets the observation at index i. c.mu held.
func (c *Cache) evict(i uint64) {
	slot := &c.buf[i%uint64(len(c.buf))]
	switch {
	case slot.HTTP != nil:
		if c.http[slot.HTTP.ID] == slot.HTTP {
			delete(c.http, slot.HTTP.ID)
		}
	case slot.WSOpen != nil:
		if c.ws[slot.WSOpen.Conn] == slot.WSOpen {
			delete(c.ws, slot.WSOpen.Conn)
		}
	}
	if c.maxBytes > 0 {
		c.bytes -= int64(slot.Size())
	}
	*slot = obs.Obs{}
}

// New returns an empty cache; capacity <= 0 means 20,000.
func New(capacity int) *Cache {
	if capacity <= 0 {
		capacity = 20000
	}
	return &Cache{buf: make([]obs.Obs, capacity), http: map[uint64]*obs.HTTPExchange{}, ws: map[uint64]*obs.WSOpen{}}
}

// Add keeps o, evicting the oldest observations when full.
func (c *Cache) Add(o obs.Obs) {
	if c.Filter != nil {
		o = c.Filter(o)
	}
	if !c.fit(&o) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next >= uint64(len(c.buf)) && c.first <= c.next-uint64(len(c.buf)) {
		c.evict(c.next - uint64(len(c.buf)))
		c.first = c.next - uint64(len(c.buf)) + 1
	}
	c.buf[c.next%uint64(len(c.buf))] = o
	c.next++
	switch {
	case o.HTTP != nil:
		c.http[o.HTTP.ID] = o.HTTP
	case o.WSOpen != nil:
		c.ws[o.WSOpen.Conn] = o.WSOpen
	}
	if c.maxBytes > 0 {
		c.bytes += int64(o.Size())
		for c.bytes > c.maxBytes && c.first < c.next-1 {
			c.evict(c.first)
			c.first++
		}
	}
}

// Run adds everything from q until it is closed or ctx ends.
func (c *Cache) Run(ctx context.Context, q *bus.Queue[obs.Obs]) {
	for {
		select {
		case <-ctx.Done():
			return
		case o, ok := <-q.C():
			if !ok {
				return
			}
			c.Add(o)
		}
	}
}

// Exchange returns the exchange with id, if it is still held.
func (c *Cache) Exchange(id uint64) (*obs.HTTPExchange, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.http[id]
	return x, ok
}

// WSOpen returns the handshake of WebSocket connection conn.
func (c *Cache) WSOpen(conn uint64) (*obs.WSOpen, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.ws[conn]
	return x, ok
}

// Select returns, oldest first, the held observations that belong to one
// of the given exchanges or WebSocket connections (and every TLS and drop
// observation, which belong to none).
func (c *Cache) Select(exchanges, conns map[uint64]bool) []obs.Obs {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := uint64(len(c.buf))
	first := c.first
	if c.next > n && c.next-n > first {
		first = c.next - n
	}
	var out []obs.Obs
	for i := first; i < c.next; i++ {
		o := c.buf[i%n]
		var keep bool
		switch {
		case o.HTTP != nil:
			keep = exchanges[o.HTTP.ID]
		case o.WSOpen != nil:
			keep = conns[o.WSOpen.Conn]
		case o.WSMsg != nil:
			keep = conns[o.WSMsg.Conn]
		case o.WSClose != nil:
			keep = conns[o.WSClose.Conn]
		default:
			keep = true
		}
		if keep {
			out = append(out, o)
		}
	}
	return out
}
