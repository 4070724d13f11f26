// Package exchanges keeps the most recent HTTP exchanges and WebSocket
// handshakes by id, so the TUI's detail view can show the headers of the
// request that carried a packet without events having to carry them.
package exchanges

import (
	"context"
	"sync"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Cache holds at most Capacity exchanges and as many WebSocket opens,
// evicting the oldest.
type Cache struct {
	mu   sync.Mutex
	cap  int
	http map[uint64]*obs.HTTPExchange
	hord []uint64
	ws   map[uint64]*obs.WSOpen
	word []uint64
}

// New returns an empty cache; capacity <= 0 means 4096.
func New(capacity int) *Cache {
	if capacity <= 0 {
		capacity = 4096
	}
	return &Cache{cap: capacity, http: map[uint64]*obs.HTTPExchange{}, ws: map[uint64]*obs.WSOpen{}}
}

// Add records an observation if it is an exchange or a WebSocket open.
func (c *Cache) Add(o obs.Obs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case o.HTTP != nil:
		c.http[o.HTTP.ID] = o.HTTP
		c.hord = append(c.hord, o.HTTP.ID)
		if len(c.hord) > c.cap {
			delete(c.http, c.hord[0])
			c.hord = c.hord[1:]
		}
	case o.WSOpen != nil:
		c.ws[o.WSOpen.Conn] = o.WSOpen
		c.word = append(c.word, o.WSOpen.Conn)
		if len(c.word) > c.cap {
			delete(c.ws, c.word[0])
			c.word = c.word[1:]
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
