package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/elazarl/goproxy"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// newExchange describes a forward-mode request the way ServeHTTP does in
// reverse mode, with the request's own origin as its upstream. URL is
// the path and query, as in reverse mode, so the analyzer finds
// Engine.IO paths the same way.
func (f *Forward) newExchange(r *http.Request) *exchange {
	p := f.p
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return &exchange{
		id:        p.ids.Add(1),
		start:     p.opts.Now(),
		client:    r.RemoteAddr,
		method:    r.Method,
		uri:       r.URL.RequestURI(),
		host:      host,
		proto:     r.Proto,
		reqHeader: r.Header.Clone(),
		fwd:       newFwdUpstream(r.URL),
	}
}

// RoundTrip is goproxy's ctx.RoundTripper for every request, plain or
// intercepted: it routes the request through the same observing transport
// as reverse mode. Failures are answered with the same 502 text as reverse
// mode (goproxy would answer 500, or drop an intercepted connection), and
// intercepted WebSocket upgrades get a tapped body.
func (f *Forward) RoundTrip(req *http.Request, _ *goproxy.ProxyCtx) (*http.Response, error) {
	x := f.newExchange(req)
	resp, err := f.p.transport.RoundTrip(req.WithContext(ctxWithExchange(req.Context(), x)))
	if err != nil {
		return errorResponse(req, upstreamErrorText(x.fwd.base, err)), nil
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		rwc, ok := resp.Body.(io.ReadWriteCloser)
		if !ok {
			resp.Body.Close()
			return errorResponse(req, "sioproxy: transport returned a 101 response without a writable body"), nil
		}
		resp.Body = f.newWSTap(x, rwc, resp)
	}
	return resp, nil
}

func errorResponse(req *http.Request, text string) *http.Response {
	body := text + "\n"
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	return &http.Response{
		Status:        "502 Bad Gateway",
		StatusCode:    http.StatusBadGateway,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// serveUpgrade relays a plain-HTTP WebSocket upgrade with the reverse
// proxy's relay (goproxy's would leave the client open after the server
// closed, DESIGN.md §1d).
func (f *Forward) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	x := f.newExchange(r)
	// Proxy-* headers are for this hop only; the relay strips the
	// standard hop-by-hop set.
	r.Header.Del("Proxy-Connection")
	r.Header.Del("Proxy-Authorization")
	r = r.WithContext(ctxWithExchange(r.Context(), x))
	f.p.serveUpgrade(w, r, x)
}

// dialTunnel dials the upstream of a CONNECT that is not intercepted and
// lists the tunnel as an HTTPExchange with Method CONNECT: status 200 when
// it opened, or the dial error.
func (f *Forward) dialTunnel(req *http.Request, network, addr string) (net.Conn, error) {
	p := f.p
	x := &exchange{id: p.ids.Add(1), start: p.opts.Now(), client: req.RemoteAddr, method: http.MethodConnect,
		uri: addr, host: addr, proto: req.Proto, reqHeader: req.Header.Clone(),
		fwd: &fwdUpstream{base: addr, host: addr}}
	c, err := f.dialer.DialContext(req.Context(), network, addr)
	ex := &obs.HTTPExchange{ID: x.id, Client: x.client, Upstream: addr, Start: x.start, End: p.opts.Now(),
		Method: x.method, URL: x.uri, Host: x.host, Proto: x.proto, ReqHeader: x.reqHeader}
	p.exchanges.Add(1)
	if err != nil {
		ex.Err = err.Error()
		ex.ErrKind, _ = classify(err)
		p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
		return nil, err
	}
	ex.Status = http.StatusOK
	p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
	return f.track(c), nil
}

// track registers c so Close can tear it down; the returned conn
// unregisters itself when closed. nil means the proxy is closed.
func (f *Forward) track(c net.Conn) net.Conn {
	tc := &trackedConn{Conn: c, f: f}
	f.mu.Lock()
	closed := f.closed
	if !closed {
		f.conns[tc] = struct{}{}
	}
	f.mu.Unlock()
	if closed {
		c.Close()
	}
	return tc
}

// trackedConn is a connection Forward.Close must end: a hijacked client
// or a tunnel's upstream. It keeps TCP half-close, which goproxy's tunnel
// uses when both ends have it.
type trackedConn struct {
	net.Conn
	f *Forward
}

func (c *trackedConn) Close() error {
	c.f.mu.Lock()
	delete(c.f.conns, c)
	c.f.mu.Unlock()
	return c.Conn.Close()
}

func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errNoHalfClose
}

func (c *trackedConn) CloseRead() error {
	if cr, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return errNoHalfClose
}

// hijackTracker hands goproxy the CONNECT's ResponseWriter, tracking the
// connection it hijacks.
type hijackTracker struct {
	http.ResponseWriter
	f *Forward
}

func (h *hijackTracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return h.f.track(c), brw, nil
}

var _ http.Hijacker = (*hijackTracker)(nil)
