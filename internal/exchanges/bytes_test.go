package exchanges

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// 1 MB WebSocket messages (the hostile TUI repro) cannot make the cache
// hold more than its byte bound; headers stay findable.
func TestCacheByteBound(t *testing.T) {
	const max = 4 << 20
	c := NewBytes(20000, max)
	c.Add(obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: 1}})
	for i := 0; i < 200; i++ {
		c.Add(obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Conn: 1, Data: make([]byte, 1<<20)}})
		c.Add(obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Conn: 1, Data: make([]byte, 100<<10)}})
	}
	if c.Bytes() > max {
		t.Fatalf("cache holds %d bytes, bound %d", c.Bytes(), max)
	}
	if c.Trimmed() != 200 {
		t.Fatalf("Trimmed = %d, want the 200 messages over a sixteenth of the bound", c.Trimmed())
	}
	// A big HTTP exchange keeps its headers, not its bodies.
	c.Add(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: 7, ReqBody: make([]byte, 1<<20), ReqLen: 1 << 20, Method: "POST"}})
	x, ok := c.Exchange(7)
	if !ok || x.ReqBody != nil || !x.ReqTrunc || x.Method != "POST" {
		t.Fatalf("big exchange: held %v, %+v", ok, x)
	}
	var sum int64
	for _, o := range c.Select(map[uint64]bool{7: true}, map[uint64]bool{1: true}) {
		sum += int64(o.Size())
	}
	if sum > max {
		t.Fatalf("Select returned %d bytes", sum)
	}
	// The count bound still holds with the byte bound.
	d := NewBytes(3, max)
	for i := uint64(1); i <= 5; i++ {
		d.Add(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: i}})
	}
	if _, ok := d.Exchange(2); ok {
		t.Fatal("exchange 2 still held in a 3-slot cache after 5 adds")
	}
	if _, ok := d.Exchange(5); !ok {
		t.Fatal("newest exchange not held")
	}
}
