package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// Balance strategies for Options.Balance.
const (
	RoundRobin = "round-robin"
	Sticky     = "sticky"
)

// StickyCookie is the cookie the sticky balancer sets on responses so a
// browser keeps going to the upstream that served its first request.
const StickyCookie = "sioproxy_upstream"

// DefaultBodyCap is the default Options.BodyCap: enough for any Engine.IO
// poll under socket.io's default maxHttpBufferSize (1e6 bytes).
const DefaultBodyCap = 1 << 20

// Options configures a Proxy. Only Targets is required; zero values of the
// other fields select the defaults documented on each.
type Options struct {
	// Targets are the upstream base URLs (scheme and host, optionally a
	// path prefix that is joined with the request path, as
	// httputil.ProxyRequest.SetURL does). With more than one, requests are
	// spread over them according to Balance, which lets a user reproduce a
	// load balancer that lacks sticky sessions (FAULTS.md C1, C2) and check
	// that a sticky one fixes it.
	Targets []*url.URL

	// Balance picks the upstream when there are several Targets:
	// RoundRobin (the default) sends each request to the next target, as a
	// non-sticky load balancer would; Sticky routes an Engine.IO request by
	// its sid query to the upstream that created the session (learned by
	// sniffing the handshake), and otherwise by the StickyCookie it sets.
	// It is ignored with a single target.
	Balance string

	// Paths are the URL path prefixes of Engine.IO endpoints. Every path is
	// relayed and observed; Paths only scopes the sid sniffing and
	// sid-based routing of the sticky balancer. Default: "/socket.io/" and
	// "/engine.io/".
	Paths []string

	// KeepHost forwards the client's Host header unchanged instead of the
	// target's host. Use it when the upstream routes or validates by Host
	// (virtual hosts, some CSRF or CORS checks). X-Forwarded-Host always
	// carries the client's Host.
	KeepHost bool

	// Sinks receive every observation. Push never blocks: when a sink is
	// full the observation is dropped and counted by that queue, and the
	// relay goes on unaffected. The same Obs value is pushed to every sink;
	// consumers may keep it but must not modify it.
	Sinks []*bus.Queue[obs.Obs]

	// RelayOnly turns observation off: WebSocket taps parse nothing and
	// no observation reaches Sinks. It is a benchmark's baseline (what
	// relaying costs without decoding, loadbench's relay mode), not a
	// way to run sioproxy.
	RelayOnly bool

	// BodyCap caps the copy of each request and response body kept in an
	// HTTPExchange observation. The relayed body is never capped. Default
	// DefaultBodyCap; a negative value keeps no body at all.
	BodyCap int

	// Transport carries requests to the upstreams, WebSocket upgrades
	// included (it must return a writable Body for 101 responses, as
	// *http.Transport does). Default: an *http.Transport speaking HTTP/1.1
	// only, with DisableCompression (so Accept-Encoding and the encoded
	// bytes pass through unchanged, DESIGN.md §1d), no
	// ResponseHeaderTimeout (a long-poll may legitimately wait
	// pingInterval+pingTimeout), a large idle pool, and TLS verification
	// configured by UpstreamCA and InsecureUpstream.
	Transport http.RoundTripper

	// UpstreamCA, when set, is the root pool used to verify upstream
	// certificates instead of the system roots (--upstream-ca). Only used
	// by the default Transport.
	UpstreamCA *x509.CertPool

	// InsecureUpstream disables verification of upstream certificates
	// (--insecure-upstream). Traffic to the upstream is then open to
	// interception; use it only against a test server. Only used by the
	// default Transport.
	InsecureUpstream bool

	// Inject holds the fault-injection rules (--inject, issue 14). Nil, or
	// a Set with every rule off, leaves the relay transparent: each
	// decision point costs an atomic load. Each injected fault is pushed as
	// an obs.KindInject observation before what it caused.
	Inject *inject.Set

	// Active is the active rewrite layer (intercept, rules, injection,
	// faults). Nil keeps every connection on the transparent byte-exact
	// path; with an Engine, a WebSocket direction is reassembled and
	// re-framed only while one of its actors can act (see package active).
	Active *active.Engine

	// Now is the clock for observation times. Default time.Now.
	Now func() time.Time

	// WSBudget, if set, is the memory shared by the reassembly and
	// inflate buffers of every WebSocket connection and the body copies of
	// every HTTP exchange in flight (--mem-budget's reassembly share). A
	// message that would exceed it is not decoded (its observation carries
	// the error), a body copy stops there (marked truncated); both are
	// relayed unchanged. Buffers are released when a connection or
	// exchange ends. Nil: each direction of each connection is bounded
	// only by ws.DefaultMaxMessage, each body by BodyCap.
	WSBudget *membudget.Pool

	// ErrorLog receives relay errors that have no better place to go.
	// Default: the standard logger.
	ErrorLog *log.Logger
}

// wsBudget is WSBudget as the parser's interface, nil when unset (a nil
// *Pool in the interface would not be nil).
func (o Options) wsBudget() ws.Budget {
	if o.WSBudget == nil {
		return nil
	}
	return o.WSBudget
}

// withDefaults validates o and returns a copy with defaults filled in.
func (o Options) withDefaults() (Options, error) {
	if len(o.Targets) == 0 {
		return o, fmt.Errorf("proxy: no target")
	}
	for i, t := range o.Targets {
		if t == nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" {
			return o, fmt.Errorf("proxy: target %d %q: want an http:// or https:// URL with a host", i, t)
		}
	}
	switch o.Balance {
	case "":
		o.Balance = RoundRobin
	case RoundRobin, Sticky:
	default:
		return o, fmt.Errorf("proxy: balance %q: want %q or %q", o.Balance, RoundRobin, Sticky)
	}
	if len(o.Paths) == 0 {
		o.Paths = []string{"/socket.io/", "/engine.io/"}
	}
	for _, p := range o.Paths {
		if !strings.HasPrefix(p, "/") {
			return o, fmt.Errorf("proxy: path %q: must start with /", p)
		}
	}
	if o.BodyCap == 0 {
		o.BodyCap = DefaultBodyCap
	}
	if o.BodyCap < 0 {
		o.BodyCap = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.Default()
	}
	if o.Transport == nil {
		o.Transport = NewTransport(o.UpstreamCA, o.InsecureUpstream)
	}
	return o, nil
}

// upstreamIdleTimeout is below the shortest keep-alive timeout of common
// socket.io servers (Node's http default: 5 s).
const upstreamIdleTimeout = 4 * time.Second

// NewTransport returns the default upstream transport (see
// Options.Transport). roots nil means the system roots.
func NewTransport(roots *x509.CertPool, insecure bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var protos http.Protocols
	// Upgrades need HTTP/1.1; HTTP/2 to the upstream would also change
	// framing the user may be debugging.
	protos.SetHTTP1(true)
	return &http.Transport{
		Proxy:                 nil, // never route upstream traffic through $HTTP_PROXY
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, InsecureSkipVerify: insecure},
		TLSHandshakeTimeout:   10 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		// Close an idle upstream connection before the server does: Node's
		// http server drops keep-alive sockets after 5 s, and a POST written
		// as that close crosses it gets a reset that net/http cannot retry
		// (a POST is not replayable), so the client saw a 502 "xhr poll
		// error" that sioproxy itself caused (about one per 10 minutes in
		// the soak). Reconnecting an idle upstream costs one handshake.
		IdleConnTimeout:       upstreamIdleTimeout,
		ExpectContinueTimeout: time.Second,
		Protocols:             &protos,
	}
}
