package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// ForwardOptions configures a Forward proxy. Fields shared with Options
// mean the same there.
type ForwardOptions struct {
	// CA signs the certificates shown to clients of intercepted hosts
	// (see certs.LoadOrCreateCA). Required.
	CA *certs.CA

	// Intercept are glob patterns (path.Match syntax) on the host[:port]
	// of CONNECT requests: matching hosts are intercepted (TLS terminated
	// with a CA-signed leaf, traffic observed), the others are tunnelled
	// untouched and only listed. A pattern without a port matches any
	// port. Default: intercept everything.
	Intercept []string

	Sinks            []*bus.Queue[obs.Obs]
	BodyCap          int
	Transport        http.RoundTripper
	UpstreamCA       *x509.CertPool
	InsecureUpstream bool
	Now              func() time.Time
	ErrorLog         *log.Logger
	WSBudget         *membudget.Pool
	// Auth, if set ("user:pass"), is required from every client as
	// Proxy-Authorization: Basic; others get 407.
	Auth string
}

// Forward is an HTTP proxy for clients configured with HTTP_PROXY,
// HTTPS_PROXY or a browser proxy setting (DESIGN.md §1b-d). It is built on
// goproxy and observes exactly as the reverse Proxy does: the same
// observing transport, WebSocket relay and tap, so the analyzer cannot
// tell the modes apart.
//
//   - Absolute-URL requests go through goproxy with the observing
//     transport; plain-HTTP WebSocket upgrades go through the reverse
//     proxy's own relay, because goproxy's plain path never closes the
//     client when the server closes.
//   - CONNECT to an intercepted host is terminated with a leaf signed by
//     CA; its requests and WebSockets are observed like any other. A
//     client that rejects the leaf is reported as obs.TLSEvent (I1).
//   - CONNECT to any other host is tunnelled byte for byte and listed as
//     an obs.HTTPExchange with Method CONNECT.
type Forward struct {
	p        *Proxy
	gp       *goproxy.ProxyHttpServer
	ca       *certs.CA
	patterns []string
	mitmTLS  func(string, *goproxy.ProxyCtx) (*tls.Config, error)
	dialer   net.Dialer
	auth     *proxyAuth // nil: no authentication

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}   // hijacked clients and tunnel upstreams
	taps    map[*wsTapBody]struct{} // intercepted WebSockets
	pending map[int64]*mitmTunnel   // handshakes not yet resolved, by goproxy session & 0xFFFF
}

// forwardPlaceholder satisfies Options validation: forward exchanges carry
// their own upstream (exchange.fwd) and never use Targets.
var forwardPlaceholder = &url.URL{Scheme: "http", Host: "forward.invalid"}

// NewForward returns a Forward proxy for opts.
func NewForward(opts ForwardOptions) (*Forward, error) {
	if opts.CA == nil {
		return nil, fmt.Errorf("proxy: forward mode needs a CA to intercept TLS (certs.LoadOrCreateCA)")
	}
	for _, pat := range opts.Intercept {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("proxy: intercept pattern %q: %v", pat, err)
		}
	}
	p, err := New(Options{
		Targets:          []*url.URL{forwardPlaceholder},
		Sinks:            opts.Sinks,
		BodyCap:          opts.BodyCap,
		Transport:        opts.Transport,
		UpstreamCA:       opts.UpstreamCA,
		InsecureUpstream: opts.InsecureUpstream,
		Now:              opts.Now,
		ErrorLog:         opts.ErrorLog,
		WSBudget:         opts.WSBudget,
	})
	if err != nil {
		return nil, err
	}
	auth, err := newProxyAuth(opts.Auth)
	if err != nil {
		return nil, err
	}
	f := &Forward{
		auth:     auth,
		p:        p,
		ca:       opts.CA,
		patterns: opts.Intercept,
		dialer:   net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		conns:    make(map[net.Conn]struct{}),
		taps:     make(map[*wsTapBody]struct{}),
		pending:  make(map[int64]*mitmTunnel),
	}
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = gpLogger{f}
	gp.KeepAcceptEncoding = true
	gp.AllowHTTP2 = false // ALPN offers http/1.1 only: browsers then do classic WebSocket upgrades
	// goproxy's own transport and CONNECT dialer read HTTP(S)_PROXY from
	// the environment; ours never do. Tr is unused for requests (ctx
	// RoundTripper is always set) but is kept safe anyway.
	gp.Tr = NewTransport(opts.UpstreamCA, opts.InsecureUpstream)
	gp.ConnectDial = nil
	gp.ConnectDialWithReq = f.dialTunnel
	gp.CertStore = leafStore{opts.CA}
	gp.NonproxyHandler = http.HandlerFunc(nonProxy)
	caCert := opts.CA.TLSCertificate()
	f.mitmTLS = goproxy.TLSConfigFromCA(&caCert)
	gp.OnRequest().HandleConnectFunc(f.handleConnect)
	gp.OnRequest().DoFunc(func(r *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
		ctx.RoundTripper = f
		pinToTunnel(r, ctx)
		if t, ok := ctx.UserData.(*mitmTunnel); ok {
			f.resolve(t) // a request came through: the client accepted our leaf
		}
		return r, nil
	})
	f.gp = gp
	return f, nil
}

// ServeHTTP handles one proxy request.
func (f *Forward) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.auth != nil && (r.Method == http.MethodConnect || r.URL.IsAbs()) {
		if !f.auth.ok(r) {
			challenge(w)
			return
		}
		// The proxy's password is for the proxy: never relayed, observed
		// or recorded.
		r.Header.Del("Proxy-Authorization")
	}
	switch {
	case r.Method == http.MethodConnect:
		f.gp.ServeHTTP(&hijackTracker{ResponseWriter: w, f: f}, r)
	case r.URL.IsAbs() && isWebSocketUpgrade(r.Header):
		f.serveUpgrade(w, r)
	default:
		f.gp.ServeHTTP(w, r)
	}
}

// Stats returns the counters (see Proxy.Stats).
func (f *Forward) Stats() Stats { return f.p.Stats() }

// Close tears down tunnels, intercepted connections and WebSockets, then
// closes the inner relay (see Proxy.Close). Nothing is pushed to the
// sinks after it returns. Call it after http.Server.Shutdown.
func (f *Forward) Close() error {
	f.mu.Lock()
	f.closed = true
	conns := make([]net.Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	taps := make([]*wsTapBody, 0, len(f.taps))
	for t := range f.taps {
		taps = append(taps, t)
	}
	f.mu.Unlock()
	for _, t := range taps {
		t.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	return f.p.Close()
}

// intercepts reports whether CONNECT host (host:port) is to be decrypted.
// A pattern with a port is matched against host:port, one without against
// the host alone; an exact match is tried first so IPv6 literals, whose
// brackets are glob syntax, work too.
func (f *Forward) intercepts(hostport string) bool {
	if len(f.patterns) == 0 {
		return true
	}
	host := stripPortOf(hostport)
	for _, pat := range f.patterns {
		if pat == hostport || pat == host {
			return true
		}
		subject := host
		if _, _, err := net.SplitHostPort(pat); err == nil {
			subject = hostport
		}
		if ok, _ := path.Match(pat, subject); ok {
			return true
		}
	}
	return false
}

func (f *Forward) handleConnect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	if !f.intercepts(host) {
		return &goproxy.ConnectAction{Action: goproxy.ConnectAccept}, host
	}
	// Plain HTTP in the tunnel keeps this; TLS replaces it with a
	// mitmTunnel naming the same host (tlsConfig).
	ctx.UserData = &connectTarget{hostport: host}
	return &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: f.tlsConfig}, host
}

// tlsConfig is called by goproxy when an intercepted client starts its
// TLS handshake. It remembers the tunnel until the handshake's outcome is
// known: a first request (success) or goproxy's "Cannot handshake client"
// warning (failure, see gpLogger).
func (f *Forward) tlsConfig(host string, ctx *goproxy.ProxyCtx) (*tls.Config, error) {
	cfg, err := f.mitmTLS(host, ctx)
	if err != nil {
		return nil, err
	}
	t := &mitmTunnel{session: ctx.Session & 0xFFFF, client: ctx.Req.RemoteAddr, host: host}
	ctx.UserData = t
	f.mu.Lock()
	if len(f.pending) >= maxPendingHandshakes {
		// Clients that handshook and never sent a request: forget them.
		clear(f.pending)
	}
	f.pending[t.session] = t
	f.mu.Unlock()
	return cfg, nil
}

// maxPendingHandshakes bounds the tunnels waiting for a first request.
const maxPendingHandshakes = 4096

// mitmTunnel is one intercepted CONNECT, from its handshake to its first
// request.
type mitmTunnel struct {
	session int64
	client  string
	host    string
	once    sync.Once
}

// resolve forgets t once its outcome is known.
func (f *Forward) resolve(t *mitmTunnel) {
	t.once.Do(func() {
		f.mu.Lock()
		if f.pending[t.session] == t {
			delete(f.pending, t.session)
		}
		f.mu.Unlock()
	})
}

// handshakeFailed reports a client that rejected the interception leaf.
func (f *Forward) handshakeFailed(session int64, err error) {
	f.mu.Lock()
	t := f.pending[session]
	delete(f.pending, session)
	f.mu.Unlock()
	if t == nil {
		return
	}
	// The advice leads with the command: the detail may be clipped in
	// one-line outputs, and the path is long.
	advice := fmt.Sprintf("; run `sioproxy ca` to make it trust the sioproxy CA %s", f.caFile())
	v := clientHandshakeEvent(err, t.client, t.host, advice)
	if v == nil {
		return
	}
	f.p.push(obs.Obs{Kind: obs.KindTLS, Time: f.p.opts.Now(), TLS: &obs.TLSEvent{
		Leg: "client", Client: t.client, Host: stripPortOf(t.host), Kind: v.Kind, Alert: v.Alert, Detail: v.Detail,
	}})
}

func (f *Forward) caFile() string {
	if f.ca.Dir == "" {
		return "in memory"
	}
	return f.ca.Dir + "/" + certs.CertFile
}

// gpLogger receives goproxy's log lines. goproxy reports a failed client
// handshake only there ("Cannot handshake client %v %v" with the session,
// the CONNECT host and the error as arguments, v1.9.3 https.go); the
// rest is its own chatter and is dropped.
type gpLogger struct{ f *Forward }

func (l gpLogger) Printf(format string, args ...any) {
	if !strings.Contains(format, "Cannot handshake client") || len(args) != 3 {
		return
	}
	session, ok1 := args[0].(int64)
	err, ok2 := args[2].(error)
	if ok1 && ok2 {
		l.f.handshakeFailed(session, err)
	}
}

// leafStore is goproxy's certificate cache, backed by the CA's own cache.
type leafStore struct{ ca *certs.CA }

func (s leafStore) Fetch(host string, _ func() (*tls.Certificate, error)) (*tls.Certificate, error) {
	return s.ca.Leaf(host)
}

// nonProxy answers requests that name no host: someone browsed to the
// proxy itself, or used it as a reverse proxy.
func nonProxy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "sioproxy is running in forward mode: set it as the client's HTTP proxy "+
		"(HTTP_PROXY/HTTPS_PROXY, a proxy agent, or --proxy-server), "+
		"or run it in reverse mode with --target to send it requests directly.\n")
}

func stripPortOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// Interface guards.
var (
	_ http.Handler         = (*Forward)(nil)
	_ goproxy.RoundTripper = (*Forward)(nil)
	_ goproxy.CertStorage  = leafStore{}
)

// ctxWithExchange is the request's context carrying x for the observing
// transport.
func ctxWithExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}
