package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// WebSocket upgrades do not go through ReverseProxy: its upgrade path loses
// bytes the client sent right after the upgrade request (golang/go#80875)
// and cannot half-close. This relay round-trips the upgrade through the
// same Transport, hijacks the client, and copies both ways through the tap.

// copyBufSize is each direction's read buffer. Two of them are most of an
// idle connection's memory, so they are smaller than io.Copy's 32 KiB.
const copyBufSize = 16 << 10

// halfCloseLinger bounds how long a relay waits for the second side after
// the first one finished sending: long enough for a close handshake,
// short enough that a peer ignoring the FIN cannot pin the relay.
const halfCloseLinger = 30 * time.Second

// hopHeaders are removed from the upgrade request as ReverseProxy does
// (RFC 9110 §7.6.1); Connection and Upgrade are then set again.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func (p *Proxy) serveUpgrade(w http.ResponseWriter, r *http.Request, x *exchange) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Close = false
	if out.ContentLength == 0 {
		out.Body = nil // http.NoBody on a server request; nil lets the Transport reuse conns
	}
	for _, f := range out.Header["Connection"] {
		for _, name := range strings.Split(f, ",") {
			if name = textproto.TrimString(name); name != "" {
				out.Header.Del(name)
			}
		}
	}
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.Header.Set("Connection", "Upgrade")
	out.Header.Set("Upgrade", r.Header.Get("Upgrade"))
	// X-Forwarded-* from the client are dropped, as ReverseProxy does with
	// Rewrite, before SetXForwarded sets ours.
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		out.Header.Del(h)
	}
	p.rewrite(&httputil.ProxyRequest{In: r, Out: out})
	if p.opts.Active != nil && p.refuseUpgrade(w, r, x) {
		return
	}

	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.errorHandler(w, r, err)
		return
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		p.relayRefusal(w, resp, x)
		return
	}
	upstream, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		p.errorHandler(w, r, errors.New("transport returned a 101 response without a writable body"))
		return
	}
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		p.logf("hijack %s: %v", r.RemoteAddr, err)
		http.Error(w, "sioproxy: cannot hijack the connection for a WebSocket", http.StatusInternalServerError)
		return
	}
	rl := newRelay(p, x, client, upstream, resp)
	if !p.register(rl) {
		client.Close()
		upstream.Close()
		return
	}
	defer p.unregister(rl)
	// Pushed only once registered: Close waits for registered relays
	// before it turns the sinks off, so an open is always followed by its
	// close, even when Close races this upgrade.
	rl.pushOpen(resp)

	// Send the upstream's 101 as received (hop-by-hop headers included:
	// Connection and Upgrade are the point of it).
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 ")
	head.WriteString(resp.Status)
	head.WriteString("\r\n")
	h := resp.Header
	if x.setCookie {
		h = h.Clone()
		h.Add("Set-Cookie", stickyCookie(x.target))
	}
	h.Write(&head)
	head.WriteString("\r\n")
	if p.opts.Active != nil {
		rl.activate(resp)
		defer rl.act.Close()
	}
	rl.run(head.Bytes(), brw.Reader)
}

// relayRefusal relays an upgrade the upstream did not accept (a 400
// "Session ID unknown", a 403 from allowRequest…) as a normal response;
// the observing body reports it as an HTTPExchange.
func (p *Proxy) relayRefusal(w http.ResponseWriter, resp *http.Response, x *exchange) {
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vv := range resp.Header {
		w.Header()[k] = vv
	}
	if x.setCookie {
		w.Header().Add("Set-Cookie", stickyCookie(x.target))
	}
	w.WriteHeader(resp.StatusCode)
	buf := make([]byte, copyBufSize)
	rc := http.NewResponseController(w)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) register(rl *relay) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.relays[rl] = struct{}{}
	p.wg.Add(1)
	return true
}

func (p *Proxy) unregister(rl *relay) {
	p.mu.Lock()
	delete(p.relays, rl)
	p.mu.Unlock()
	p.wg.Done()
}

// relay is one hijacked WebSocket connection.
type relay struct {
	p        *Proxy
	x        *exchange
	id       uint64
	client   net.Conn
	upstream io.ReadWriteCloser
	tap      *tap
	act      *active.WS // nil on the transparent path

	bytes    [2]atomic.Int64 // by decode.Dir
	seq      atomic.Uint64   // orders relayed chunks across directions
	closing  atomic.Bool     // teardown started: read errors are ours
	tearOnce sync.Once

	mu       sync.Mutex
	firstEnd string // "client" or "server": whose side stopped first
	err      error  // first transport error not caused by teardown
}

func newRelay(p *Proxy, x *exchange, client net.Conn, upstream io.ReadWriteCloser, resp *http.Response) *relay {
	rl := &relay{p: p, x: x, id: x.id, client: client, upstream: upstream}
	rl.tap = newTap(p, rl.id, x.target, resp.Header.Get("Sec-WebSocket-Extensions"))
	return rl
}

// pushOpen reports the accepted upgrade.
func (rl *relay) pushOpen(resp *http.Response) {
	p, x := rl.p, rl.x
	p.push(obs.Obs{Kind: obs.KindWSOpen, Time: p.opts.Now(), WSOpen: &obs.WSOpen{
		Conn:       rl.id,
		Client:     x.client,
		Upstream:   p.upstreamOf(x),
		Start:      x.start,
		URL:        x.uri,
		Host:       x.host,
		ReqHeader:  x.reqHeader,
		RespHeader: resp.Header.Clone(),
		Status:     resp.StatusCode,
		Extensions: resp.Header.Get("Sec-WebSocket-Extensions"),
	}})
}

// run writes the 101, forwards what the client already sent, relays both
// ways until both sides are done, and reports the close.
func (rl *relay) run(head []byte, brw *bufio.Reader) {
	p := rl.p
	p.wsOpen.Add(1)
	p.wsTotal.Add(1)
	defer p.wsOpen.Add(-1)

	done := make(chan string, 2)
	if _, err := rl.client.Write(head); err != nil {
		rl.fail("client", err)
		rl.teardown()
	} else if n := brw.Buffered(); n > 0 {
		// Bytes the client sent right behind the upgrade request (a first
		// frame in the same segment) sit in the server's bufio.Reader.
		b, _ := brw.Peek(n)
		if err := rl.forward(rl.upstream, 0, b); err != nil {
			rl.fail("server", err)
			rl.teardown()
		}
		brw.Discard(n)
	}
	go rl.copyToUpstream(done)
	go rl.copyToClient(done)
	rl.markEnd(<-done)
	linger := time.AfterFunc(halfCloseLinger, rl.teardown)
	<-done
	linger.Stop()
	rl.teardown()
	rl.tap.release() // both copy goroutines ended: nothing feeds the tap any more
	p.push(obs.Obs{Kind: obs.KindWSClose, Time: p.opts.Now(), WSClose: rl.closeObs()})
}

// copyToUpstream relays client bytes to the upstream. It reports which side
// stopped: "client" when the client finished or broke, "server" when
// writing to the upstream failed.
func (rl *relay) copyToUpstream(done chan<- string) {
	done <- rl.copy(rl.upstream, rl.client, 0, "client", "server")
}

// copyToClient relays upstream bytes to the client.
func (rl *relay) copyToClient(done chan<- string) {
	done <- rl.copy(rl.client, rl.upstream, 1, "server", "client")
}

// copy moves bytes from src to dst, feeding each chunk to the tap just
// before it is written. At EOF it half-closes dst so the peer sees the end while
// the other direction drains; on an error it tears everything down.
func (rl *relay) copy(dst io.Writer, src io.Reader, dir int, srcSide, dstSide string) string {
	var bufs relayBufs
	defer bufs.release()
	for {
		buf := bufs.next()
		n, rerr := src.Read(buf)
		if n > 0 {
			// The chunk is observed before it is forwarded: the peer cannot
			// answer what it has not received, so a cause is always pushed
			// before its effect (an EVENT before its ACK, a close frame
			// before the reply). Parsing costs well under a microsecond for
			// a small frame and pushing never blocks.
			if werr := rl.forward(dst, dir, buf[:n]); werr != nil {
				rl.fail(dstSide, werr)
				rl.teardown()
				return dstSide
			}
		}
		// Only now that buf's bytes are forwarded may a borrowed buffer
		// go back to the pool.
		bufs.used(n)
		if rerr == io.EOF {
			rl.markEnd(srcSide) // before the half-close lets the peer react
			if cw, ok := dst.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
				rl.teardown()
			}
			return srcSide
		}
		if rerr != nil {
			rl.fail(srcSide, rerr)
			rl.teardown()
			return srcSide
		}
	}
}

// forward observes b and writes it to dst, or hands it to the active
// layer, which decides what reaches dst.
func (rl *relay) forward(dst io.Writer, dir int, b []byte) error {
	if rl.act != nil {
		rl.countBytes(dir, len(b))
		return rl.act.Relay(decode.Dir(dir), b)
	}
	rl.count(dir, b, rl.seq.Add(1))
	_, err := dst.Write(b)
	return err
}

func (rl *relay) countBytes(dir int, n int) {
	rl.bytes[dir].Add(int64(n))
	if dir == 0 {
		rl.p.bytesC2S.Add(uint64(n))
	} else {
		rl.p.bytesS2C.Add(uint64(n))
	}
}

func (rl *relay) count(dir int, b []byte, seq uint64) {
	rl.bytes[dir].Add(int64(len(b)))
	if dir == 0 {
		rl.p.bytesC2S.Add(uint64(len(b)))
	} else {
		rl.p.bytesS2C.Add(uint64(len(b)))
	}
	rl.tap.feed(dir, b, seq)
}

// markEnd records side as the one that stopped first, unless one did
// already.
func (rl *relay) markEnd(side string) {
	rl.mu.Lock()
	if rl.firstEnd == "" {
		rl.firstEnd = side
	}
	rl.mu.Unlock()
}

// fail records the first transport error, unless teardown caused it.
func (rl *relay) fail(side string, err error) {
	if rl.closing.Load() {
		return
	}
	rl.mu.Lock()
	if rl.err == nil {
		rl.err = err
		if rl.firstEnd == "" {
			rl.firstEnd = side
		}
	}
	rl.mu.Unlock()
}

// teardown closes both connections, unblocking both copy goroutines.
func (rl *relay) teardown() {
	rl.tearOnce.Do(func() {
		rl.closing.Store(true)
		rl.client.Close()
		rl.upstream.Close()
		if rl.act != nil {
			rl.act.Close() // releases held messages: their goroutines end too
		}
	})
}

func (rl *relay) closeObs() *obs.WSClose {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	c := &obs.WSClose{Conn: rl.id, By: rl.firstEnd, BytesC2S: rl.bytes[0].Load(), BytesS2C: rl.bytes[1].Load()}
	if rl.err != nil {
		c.Err = rl.err.Error()
	}
	rl.tap.closeInfo(c)
	return c
}
