package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Proxy is a reverse proxy that relays HTTP and WebSocket traffic to its
// targets unchanged and pushes what it saw to the sinks as observations.
type Proxy struct {
	opts      Options
	targets   []string // base URLs for observations, same order as opts.Targets
	bal       *balancer
	transport *observingTransport
	rp        *httputil.ReverseProxy

	ids atomic.Uint64 // exchange and connection ids share one sequence

	// Counters for the status bar (see Stats).
	exchanges atomic.Uint64
	active    atomic.Int64
	wsOpen    atomic.Int64
	wsTotal   atomic.Uint64
	bytesC2S  atomic.Uint64
	bytesS2C  atomic.Uint64

	// sinkMu lets Close stop all pushes, so the caller may close the sink
	// queues afterwards even if a handler is still unwinding.
	sinkMu  sync.RWMutex
	sinkOff bool

	onceSeen seenSet // inject rules already reported per session (inject_obs.go)

	mu     sync.Mutex
	closed bool
	relays map[*relay]struct{}
	wg     sync.WaitGroup // running WebSocket relays
}

// Stats is a snapshot of the proxy's counters.
type Stats struct {
	Exchanges uint64 // HTTP exchanges finished (upgrades answered 101 excluded)
	Active    int64  // HTTP exchanges in flight
	WSOpen    int64  // WebSocket connections open now
	WSTotal   uint64 // WebSocket connections opened so far
	BytesC2S  uint64 // body and WebSocket bytes relayed client to server
	BytesS2C  uint64 // body and WebSocket bytes relayed server to client
}

// New returns a Proxy for opts (see Options for the defaults).
func New(opts Options) (*Proxy, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: o, relays: make(map[*relay]struct{})}
	for _, t := range o.Targets {
		p.targets = append(p.targets, baseURL(t))
	}
	p.bal = newBalancer(len(o.Targets), o.Balance == Sticky, o.Inject != nil, o.Paths)
	p.transport = &observingTransport{p: p, base: o.Transport}
	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: p.transport,
		// A complete answer (every polling answer has a Content-Length)
		// goes out when the handler returns, in as few writes as net/http's
		// buffer allows; a body that stalls half-way still reaches the
		// client within a millisecond, and ReverseProxy flushes SSE and
		// bodies of unknown length at every write. Flushing after every
		// write (-1) cost a flush per polling answer (about 11% of CPU on
		// small polls).
		FlushInterval:  time.Millisecond,
		ErrorLog:       o.ErrorLog,
		ErrorHandler:   p.errorHandler,
		ModifyResponse: p.modifyResponse,
		// Without a pool ReverseProxy allocates 32 KiB per response; on
		// Engine.IO polling that was most of the proxy's garbage.
		BufferPool: copyBufPool{},
	}
	p.attachFaults()
	return p, nil
}

// ServeHTTP relays one request. WebSocket upgrades are relayed by the
// proxy's own upgrade path (see upgrade.go); everything else by
// httputil.ReverseProxy.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{
		id:        p.ids.Add(1),
		start:     p.opts.Now(),
		client:    r.RemoteAddr,
		method:    r.Method,
		uri:       r.RequestURI,
		host:      r.Host,
		proto:     r.Proto,
		reqHeader: r.Header.Clone(),
	}
	if x.uri == "" {
		x.uri = r.URL.RequestURI()
	}
	x.target, x.setCookie = p.bal.pick(r)
	x.sniff = p.bal.wantsSid() && p.bal.isEngine(r.URL.Path) && !hasSid(r.URL.RawQuery)
	r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
	if p.opts.Inject.Any() {
		p.serveInjected(w, r, x)
		return
	}
	if isWebSocketUpgrade(r.Header) {
		p.serveUpgrade(w, r, x)
		return
	}
	p.relayHTTP(w, r, x)
}

// relayHTTP relays a request that is not a WebSocket upgrade: through the
// active layer's polling relay while it wants the session, else through
// ReverseProxy.
func (p *Proxy) relayHTTP(w http.ResponseWriter, r *http.Request, x *exchange) {
	if p.opts.Active != nil {
		if pl, rel := p.pollSession(r, x); pl != nil {
			p.servePoll(w, r, x, pl, rel)
			return
		}
	}
	p.rp.ServeHTTP(w, r)
}

// Stats returns the counters; safe to call from any goroutine.
func (p *Proxy) Stats() Stats {
	return Stats{
		Exchanges: p.exchanges.Load(),
		Active:    p.active.Load(),
		WSOpen:    p.wsOpen.Load(),
		WSTotal:   p.wsTotal.Load(),
		BytesC2S:  p.bytesC2S.Load(),
		BytesS2C:  p.bytesS2C.Load(),
	}
}

// Close tears down every hijacked WebSocket connection and waits for their
// relays to finish, then closes idle upstream connections. http.Server's
// Shutdown does not know hijacked connections, so call Close after it.
// Upgrades arriving after Close are refused, requests still in flight are
// relayed but no longer observed: once Close returns nothing more is
// pushed to the sinks, so they may be closed.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for rl := range p.relays {
		rl.teardown()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.sinkMu.Lock()
	p.sinkOff = true
	p.sinkMu.Unlock()
	if ci, ok := p.opts.Transport.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
	return nil
}

// rewrite is the ReverseProxy Rewrite hook, also used by the upgrade path.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	x := exchangeFrom(pr.In.Context())
	if x.fwd != nil {
		return // forward mode: the request already names its origin
	}
	pr.SetURL(p.opts.Targets[x.target])
	pr.SetXForwarded()
	if p.opts.KeepHost {
		pr.Out.Host = pr.In.Host
	}
}

// modifyResponse sets the sticky cookie on the answer to a request that
// was not yet pinned to an upstream.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	x := exchangeFrom(resp.Request.Context())
	if x != nil && x.setCookie {
		resp.Header.Add("Set-Cookie", stickyCookie(x.target))
	}
	if p.opts.Inject.Any() {
		p.stripCORS(resp, x)
	}
	return nil
}

// errorHandler answers when no response came from the upstream. The
// observation was already pushed by the transport.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client is gone; nobody to answer
	}
	if clientFault(w, err) {
		return
	}
	x := exchangeFrom(r.Context())
	target := "?"
	if x != nil {
		target = p.upstreamOf(x)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusBadGateway)
	io.WriteString(w, upstreamErrorText(target, err)+"\n")
}

// upstreamErrorText is the plain-text 502 body: it names the target and
// the underlying error, so "xhr poll error" in the browser can be traced.
func upstreamErrorText(target string, err error) string {
	kind, tlsKind := classify(err)
	switch kind {
	case "dial":
		return fmt.Sprintf("sioproxy: upstream %s unreachable: %v", target, err)
	case "tls":
		return fmt.Sprintf("sioproxy: upstream %s failed TLS (%s): %v", target, tlsKind, err)
	case "timeout":
		return fmt.Sprintf("sioproxy: upstream %s timed out: %v", target, err)
	}
	return fmt.Sprintf("sioproxy: upstream %s failed: %v", target, err)
}

// push hands o to every sink without blocking.
func (p *Proxy) push(o obs.Obs) {
	if p.opts.RelayOnly {
		return
	}
	p.sinkMu.RLock()
	if !p.sinkOff {
		bus.PushAll(p.opts.Sinks, o)
	}
	p.sinkMu.RUnlock()
}

func (p *Proxy) logf(format string, args ...any) {
	p.opts.ErrorLog.Printf("sioproxy: "+format, args...)
}

// exchange is what ServeHTTP learned about a request before relaying it,
// carried to the transport and hooks through the request context.
type exchange struct {
	id        uint64
	start     time.Time
	client    string
	method    string
	uri       string
	host      string
	proto     string
	reqHeader http.Header
	target    int  // index into Options.Targets
	setCookie bool // sticky: the response must pin the client
	sniff     bool // sticky: look for an Engine.IO sid in the response

	// fix, set by an inject rule that may cut the exchange before it is
	// relayed (the pointer) and filled when it does, rewrites its
	// observation to what the client got (inject_http.go).
	fix *atomic.Pointer[func(*obs.HTTPExchange)]

	// fwd is set in forward mode, where the upstream is the request's
	// own origin rather than one of Options.Targets (see forward.go).
	fwd *fwdUpstream
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// isWebSocketUpgrade reports Connection: upgrade with Upgrade: websocket
// (RFC 6455 §4.1; both tokens are case-insensitive).
func isWebSocketUpgrade(h http.Header) bool {
	return headerHasToken(h, "Connection", "upgrade") && headerHasToken(h, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}

func baseURL(u interface{ String() string }) string {
	return strings.TrimSuffix(u.String(), "/")
}

// Interface guards.
var (
	_ http.Handler      = (*Proxy)(nil)
	_ http.RoundTripper = (*observingTransport)(nil)
	_ io.ReadCloser     = (*observedBody)(nil)
)
