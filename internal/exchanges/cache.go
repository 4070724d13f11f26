// Package exchanges keeps the most recent observations, so the TUI's detail
// view can show the headers of the request that carried a packet, and the
// UI can save the current view as a lossless recording, without events
// having to carry raw wire data.
package exchanges

import (
	"context"
	"sync"

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
}

// New returns an empty cache; capacity <= 0 means 20,000.
func New(capacity int) *Cache {
	if capacity <= 0 {
		capacity = 20000
	}
	return &Cache{buf: make([]obs.Obs, capacity), http: map[uint64]*obs.HTTPExchange{}, ws: map[uint64]*obs.WSOpen{}}
}

// Add keeps o, evicting the oldest observation when full.
func (c *Cache) Add(o obs.Obs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slot := &c.buf[c.next%uint64(len(c.buf))]
	if c.next >= uint64(len(c.buf)) {
		switch {
		case slot.HTTP != nil:
			delete(c.http, slot.HTTP.ID)
		case slot.WSOpen != nil:
			delete(c.ws, slot.WSOpen.Conn)
		}
	}
	*slot = o
	c.next++
	switch {
	case o.HTTP != nil:
		c.http[o.HTTP.ID] = o.HTTP
	case o.WSOpen != nil:
		c.ws[o.WSOpen.Conn] = o.WSOpen
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
	first := uint64(0)
	if c.next > n {
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
