package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// wsTapBody replaces the body of a 101 response inside an intercepted
// tunnel. goproxy relays the WebSocket by reading it (server to client)
// and writing it (client to server) from two goroutines, so the tap sees
// every byte without owning the relay (DESIGN.md §1d, "The hook that
// works"). goproxy stops at the first side that ends and then closes the
// body; the tap also finishes on its own first I/O error, because a relay
// is not obliged to call Close.
type wsTapBody struct {
	rwc io.ReadWriteCloser
	f   *Forward
	x   *exchange

	seq   atomic.Uint64   // orders chunks across directions for the tap
	bytes [2]atomic.Int64 // by decode.Dir

	mu       sync.Mutex // serialises tap feeds with the close report
	tap      *tap
	ended    bool
	firstEnd string
	err      error
}

func (f *Forward) newWSTap(x *exchange, rwc io.ReadWriteCloser, resp *http.Response) *wsTapBody {
	p := f.p
	ext := resp.Header.Get("Sec-WebSocket-Extensions")
	b := &wsTapBody{rwc: rwc, f: f, x: x, tap: newTap(p, x.id, 0, ext)}
	p.push(obs.Obs{Kind: obs.KindWSOpen, Time: p.opts.Now(), WSOpen: &obs.WSOpen{
		Conn:       x.id,
		Client:     x.client,
		Upstream:   x.fwd.base,
		Start:      x.start,
		URL:        x.uri,
		Host:       x.host,
		ReqHeader:  x.reqHeader,
		RespHeader: resp.Header.Clone(),
		Status:     resp.StatusCode,
		Extensions: ext,
	}})
	p.wsOpen.Add(1)
	p.wsTotal.Add(1)
	f.mu.Lock()
	closed := f.closed
	f.taps[b] = struct{}{}
	f.mu.Unlock()
	if closed {
		b.end("", errors.New("proxy closed"))
	}
	return b
}

// Read carries server bytes to the client.
func (b *wsTapBody) Read(buf []byte) (int, error) {
	n, err := b.rwc.Read(buf)
	if n > 0 {
		b.feed(1, buf[:n])
	}
	if err != nil {
		b.end("server", err)
	}
	return n, err
}

// Write carries client bytes to the server. The chunk is observed before
// it is forwarded, as in the reverse relay: fed after, the server's reply
// and close could be observed first, and the close would then end the tap
// before this chunk reached it (the message was lost, seen once in CI).
func (b *wsTapBody) Write(buf []byte) (int, error) {
	if len(buf) > 0 {
		b.feed(0, buf)
	}
	n, err := b.rwc.Write(buf)
	if err != nil {
		b.end("server", err)
	}
	return n, err
}

// Close is goproxy ending the relay; if nothing failed before, the client
// side stopped first (goproxy's client-to-server copy ended).
func (b *wsTapBody) Close() error {
	b.end("client", nil)
	return nil
}

func (b *wsTapBody) feed(dir int, chunk []byte) {
	seq := b.seq.Add(1)
	b.bytes[dir].Add(int64(len(chunk)))
	if dir == 0 {
		b.f.p.bytesC2S.Add(uint64(len(chunk)))
	} else {
		b.f.p.bytesS2C.Add(uint64(len(chunk)))
	}
	b.mu.Lock()
	if !b.ended {
		b.tap.feed(dir, chunk, seq)
	}
	b.mu.Unlock()
}

// end reports the connection once: who stopped first and how, then closes
// the upstream so the other direction stops too.
func (b *wsTapBody) end(side string, err error) {
	b.mu.Lock()
	if b.ended {
		b.mu.Unlock()
		return
	}
	b.ended = true
	b.firstEnd = side
	if err != nil && err != io.EOF {
		b.err = err
	}
	c := &obs.WSClose{Conn: b.x.id, By: b.firstEnd, BytesC2S: b.bytes[0].Load(), BytesS2C: b.bytes[1].Load()}
	if b.err != nil {
		c.Err = b.err.Error()
	}
	b.tap.closeInfo(c)
	b.tap.release()
	b.mu.Unlock()

	b.rwc.Close()
	f := b.f
	f.mu.Lock()
	delete(f.taps, b)
	f.mu.Unlock()
	f.p.wsOpen.Add(-1)
	f.p.push(obs.Obs{Kind: obs.KindWSClose, Time: f.p.opts.Now(), WSClose: c})
}
