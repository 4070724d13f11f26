package proxy

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// observingTransport wraps the upstream transport. It tees request and
// response bodies into capped buffers as they stream, so the relay is
// never buffered and a long-poll is never delayed, and pushes one
// obs.HTTPExchange when the response body ends. 101 responses pass through
// untouched: the upgrade path observes them.
type observingTransport struct {
	p    *Proxy
	base http.RoundTripper
}

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.p
	x := exchangeFrom(req.Context())
	if x == nil {
		// Not routed through ServeHTTP (a test or another caller): observe
		// what the outbound request says.
		x = &exchange{id: p.ids.Add(1), start: p.opts.Now(), method: req.Method,
			uri: req.URL.RequestURI(), host: req.Host, proto: req.Proto, reqHeader: req.Header.Clone()}
	}
	reqCap := newCapture(p.opts.BodyCap, req.ContentLength, p.opts.WSBudget)
	var tee *teeBody
	var bodyErr *clientBodyError // the client failed a body read whole
	if req.Body != nil && req.Body != http.NoBody {
		// A shallow copy, as Request.WithContext makes: a RoundTripper must
		// not modify the caller's request.
		r2 := new(http.Request)
		*r2 = *req
		if body, whole, berr := readSmallBody(req, reqCap, &p.bytesC2S); body != nil {
			r2.Body = body
			if whole {
				p.startExchange(x, reqCap)
			}
			bodyErr = berr
		} else {
			tee = &teeBody{rc: req.Body, c: reqCap, n: &p.bytesC2S, want: req.ContentLength, eof: func() { p.startExchange(x, reqCap) }}
			r2.Body = tee
		}
		req = r2
	} else {
		p.startExchange(x, reqCap)
	}
	p.active.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		if tee != nil {
			if cbe := tee.failed.Load(); cbe != nil {
				err = cbe
			}
		}
		if bodyErr != nil {
			err = bodyErr
		}
		p.active.Add(-1)
		p.finishExchange(x, reqCap, nil, nil, err)
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		p.active.Add(-1)
		reqCap.release()
		return resp, nil
	}
	body := &observedBody{
		rc:      resp.Body,
		p:       p,
		x:       x,
		reqCap:  reqCap,
		resp:    resp,
		header:  resp.Header.Clone(), // before ReverseProxy strips hop-by-hop headers
		respCap: newCapture(p.opts.BodyCap, resp.ContentLength, p.opts.WSBudget),
		ctxErr:  req.Context().Err,
	}
	if x.sniff {
		body.respCap.atLeast(sniffCap)
	}
	resp.Body = body
	return resp, nil
}

// startExchange pushes the request half of an exchange (obs.KindHTTPStart)
// once its body has been read whole, before the upstream answers.
func (p *Proxy) startExchange(x *exchange, reqCap *capture) {
	ex := &obs.HTTPExchange{
		ID:        x.id,
		Client:    x.client,
		Upstream:  p.upstreamOf(x),
		Start:     x.start,
		Method:    x.method,
		URL:       x.uri,
		Host:      x.host,
		Proto:     x.proto,
		ReqHeader: x.reqHeader,
	}
	ex.ReqBody, ex.ReqLen, ex.ReqTrunc = reqCap.snapshot()
	p.push(obs.Obs{Kind: obs.KindHTTPStart, Time: p.opts.Now(), HTTP: ex})
}

// finishExchange pushes the HTTPExchange (and a TLS event for TLS
// failures). resp is nil when no response came back.
func (p *Proxy) finishExchange(x *exchange, reqCap *capture, resp *observedBody, respCap *capture, err error) {
	ex := &obs.HTTPExchange{
		ID:        x.id,
		Client:    x.client,
		Upstream:  p.upstreamOf(x),
		Start:     x.start,
		End:       p.opts.Now(),
		Method:    x.method,
		URL:       x.uri,
		Host:      x.host,
		Proto:     x.proto,
		ReqHeader: x.reqHeader,
	}
	ex.ReqBody, ex.ReqLen, ex.ReqTrunc = reqCap.snapshot()
	reqCap.release()
	if resp != nil {
		ex.Status = resp.resp.StatusCode
		ex.RespHeader = resp.header
		ex.RespBody, ex.RespLen, ex.RespTrunc = respCap.snapshot()
		respCap.release()
	}
	if x.fix != nil {
		if fix := x.fix.Load(); fix != nil {
			err = nil
			(*fix)(ex)
		}
	}
	p.exchanges.Add(1)
	if err != nil {
		kind, tlsKind := classify(err)
		ex.Err, ex.ErrKind = err.Error(), kind
		if tlsKind != "" {
			host := p.upstreamHost(x)
			p.push(obs.Obs{Kind: obs.KindTLS, Time: ex.End, TLS: &obs.TLSEvent{
				Leg: "upstream", Client: x.client, Host: host, Kind: tlsKind, Detail: err.Error(),
			}})
		}
	}
	p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

// observedBody is a response body that copies what passes through it and
// reports the exchange when it ends: at EOF, on a read error, or when
// closed early because the client went away.
type observedBody struct {
	rc      io.ReadCloser
	p       *Proxy
	x       *exchange
	reqCap  *capture
	resp    *http.Response
	header  http.Header
	respCap *capture
	ctxErr  func() error
	done    atomic.Bool
	sniffed bool
}

func (b *observedBody) Read(buf []byte) (int, error) {
	n, err := b.rc.Read(buf)
	if n > 0 {
		b.respCap.write(buf[:n])
		b.p.bytesS2C.Add(uint64(n))
		if b.x.sniff && !b.sniffed {
			b.sniff()
		}
	}
	if err != nil {
		kind := err
		if err != io.EOF && b.ctxErr() != nil {
			// The transport aborted the read because the request context
			// ended: the client left mid-body.
			kind = errClosedEarly
		}
		b.finish(kind, err)
	}
	return n, err
}

func (b *observedBody) Close() error {
	err := b.rc.Close()
	if _, n, _ := b.respCap.peek(); b.resp.ContentLength >= 0 && n == b.resp.ContentLength {
		b.finish(io.EOF, io.EOF) // all bytes arrived; EOF just wasn't read
	}
	b.finish(errClosedEarly, errClosedEarly)
	return err
}

// finish reports the exchange. kindErr decides ErrKind; err is what the
// user is shown.
func (b *observedBody) finish(kindErr, err error) {
	if !b.done.CompareAndSwap(false, true) {
		return
	}
	b.p.active.Add(-1)
	if kindErr == io.EOF {
		b.p.finishExchange(b.x, b.reqCap, b, b.respCap, nil)
		return
	}
	b.p.finishExchange(b.x, b.reqCap, b, b.respCap, &endError{kind: kindErr, err: err})
}

// sniff learns which upstream created an Engine.IO session from the
// handshake answer. It runs in Read, before the bytes reach the client, so
// the mapping exists before the client can send its next request.
func (b *observedBody) sniff() {
	if b.resp.StatusCode != http.StatusOK {
		b.sniffed = true
		return
	}
	data, _, _ := b.respCap.peek()
	sid, more := sniffSid(data)
	if sid != "" {
		b.p.bal.remember(sid, b.x.target)
	}
	b.sniffed = !more || len(data) >= b.respCap.max
}

// endError carries the error shown to the user while classifying by
// another (a read error after the client left is "client_gone").
type endError struct {
	kind, err error
}

func (e *endError) Error() string { return e.err.Error() }
func (e *endError) Unwrap() error { return e.kind }

// teeBody copies a request body into a capture as the transport sends it.
type teeBody struct {
	rc   io.ReadCloser
	c    *capture
	n    *atomic.Uint64
	want int64  // Content-Length, -1 if unknown
	eof  func() // called once, when the whole body has been read
	done bool
	got  int64
	// failed is set when reading the client's body fails: the round
	// trip's error is then the client's doing.
	failed atomic.Pointer[clientBodyError]
}

func (t *teeBody) Read(b []byte) (int, error) {
	n, err := t.rc.Read(b)
	if n > 0 {
		t.c.write(b[:n])
		t.n.Add(uint64(n))
		t.got += int64(n)
	}
	// The transport stops at Content-Length without always reading EOF.
	if (err == io.EOF || (t.want >= 0 && t.got >= t.want)) && !t.done {
		t.done = true
		t.eof()
	}
	if err != nil && err != io.EOF {
		t.failed.CompareAndSwap(nil, &clientBodyError{err: err, got: t.got, want: t.want})
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }

// capture is a capped copy of a body. The request body is written by the
// transport's write goroutine while the response may end on another, hence
// the lock.
type capture struct {
	mu   sync.Mutex
	buf  []byte
	max  int // bytes buffered
	keep int // bytes reported: the user's cap, when max was raised past it
	n    int64

	// pool is the budget for bodies in flight (shared with WebSocket
	// reassembly, Options.WSBudget); held is what buf holds of it. When
	// the pool refuses, capturing stops there (the observation is marked
	// truncated) and the body is still relayed whole.
	pool *membudget.Pool
	held int
}

// sniffCap is how much of a handshake answer the sticky balancer reads
// for the sid, whatever --body-cap says: an open packet is about 150
// bytes, with EIO3's length prefix and a CONNECT behind it a little more.
const sniffCap = 1024

func newCapture(max int, contentLength int64, pool *membudget.Pool) *capture {
	c := &capture{max: max, keep: max, pool: pool}
	// A declared length is only a claim: reserve it before allocating.
	if n := int(min(contentLength, int64(max))); n > 0 && pool.Reserve(n) {
		c.buf, c.held = make([]byte, 0, n), n
	}
	return c
}

func (c *capture) write(b []byte) {
	c.mu.Lock()
	c.n += int64(len(b))
	if room := c.max - len(c.buf); room > 0 {
		take := b[:min(room, len(b))]
		if len(c.buf)+len(take) > cap(c.buf) && !c.grow(len(take)) {
			c.max = len(c.buf) // over budget: keep what we have
		} else {
			c.buf = append(c.buf, take...)
		}
	}
	c.mu.Unlock()
}

// grow makes room for n more bytes, reserved from the pool. c.mu held.
func (c *capture) grow(n int) bool {
	if c.pool == nil {
		return true // append grows it
	}
	nc := min(max(len(c.buf)+n, 2*cap(c.buf), 512), max(c.max, len(c.buf)+n))
	if !c.pool.Reserve(nc - c.held) {
		return false
	}
	grown := make([]byte, len(c.buf), nc)
	copy(grown, c.buf)
	c.buf, c.held = grown, nc
	return true
}

// release gives the capture's reservation back once its bytes belong to
// an observation (whose queues account for them).
func (c *capture) release() {
	c.mu.Lock()
	c.pool.Release(c.held)
	c.held = 0
	c.pool = nil // a write still to come (a body read after the answer) is no longer accounted
	c.mu.Unlock()
}

// peek returns the captured bytes without copying; only for the writer's
// own goroutine.
func (c *capture) peek() ([]byte, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf, c.n, c.n > int64(len(c.buf))
}

// atLeast buffers up to n bytes for the proxy's own reading, while
// observations still get only what the user's cap allows.
func (c *capture) atLeast(n int) {
	if c.max < n {
		c.max = n
	}
}

// snapshot returns the captured bytes for an observation. Later writes
// only append past len, so the returned slice is never modified.
func (c *capture) snapshot() ([]byte, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := min(len(c.buf), c.keep)
	return c.buf[:k:k], c.n, c.n > int64(k)
}
