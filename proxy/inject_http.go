package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// Fault injection on HTTP requests (polling, handshakes, upgrades). The
// proxy stays a faithful relay for everything the rules do not touch; a
// rule either answers in the upstream's place (fail-polls, oversize, loss)
// or changes what is forwarded (no-upgrade, reroute-sid, strip-cors,
// cut-poll, delay, bandwidth). Observations record what the client
// actually got, so the diagnosis reads the staged fault as a real one.

// engineMessages are Engine.IO's handshake error messages by code.
var engineMessages = []string{"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden", "Unsupported protocol version"}

// serveInjected is ServeHTTP when some rule is on.
func (p *Proxy) serveInjected(w http.ResponseWriter, r *http.Request, x *exchange) {
	set := p.opts.Inject
	q := eio.ParseQuery(r.URL.RawQuery)
	engine := q.HasEIO || p.bal.isEngine(r.URL.Path)
	ws := isWebSocketUpgrade(r.Header)
	polling := engine && !ws && q.Transport == "polling"

	if e := set.Get(inject.RerouteSid); e != nil && q.Sid != "" && x.fwd == nil && len(p.targets) > 1 {
		if origin, ok := p.bal.origin(q.Sid); ok {
			x.target = origin
			if e.Nth() {
				x.target = (origin + 1) % len(p.targets)
				p.injected(e, "rerouted", fmt.Sprintf("session %s created by %s sent to %s", q.Sid, p.targets[origin], p.targets[x.target]), x, 0, 0)
			}
		}
	}
	if ws {
		if e := set.Get(inject.NoUpgrade); e != nil && engine {
			p.injected(e, "stripped", "Upgrade and Connection headers removed from the WebSocket upgrade", x, 0, 0)
			r2 := r.Clone(r.Context())
			r2.Header.Del("Upgrade")
			r2.Header.Del("Connection")
			p.relayHTTP(w, r2, x)
			return
		}
		p.serveUpgrade(w, r, x)
		return
	}
	if polling {
		if e := set.Get(inject.Loss); e != nil && e.Roll() {
			p.injected(e, "failed", r.Method+" lost: the connection was closed without an answer", x, 0, 0)
			p.abortLocally(w, r, x, "sioproxy --inject "+e.Text+": request lost, connection closed")
			return
		}
		// Only a session's requests count: a handshake failing every time
		// would never let a session start.
		if e := set.Get(inject.FailPolls); e != nil && q.Sid != "" && e.Nth() {
			p.injected(e, "failed", fmt.Sprintf("%s answered %d instead of relaying", r.Method, e.Status), x, 0, 0)
			p.failLocally(w, r, x, e)
			return
		}
		if e := set.Get(inject.Oversize); e != nil && r.Method == http.MethodPost && r.ContentLength > e.Size {
			p.injected(e, "refused", fmt.Sprintf("POST of %d bytes over %d answered 413", r.ContentLength, e.Size), x, 0, 0)
			p.answerLocally(w, r, x, http.StatusRequestEntityTooLarge, nil, nil)
			return
		}
	}
	if engine {
		var ok bool
		if w, r, ok = p.shapeHTTP(w, r, x); !ok {
			return // the client left while the request was held
		}
	}
	if e := set.Get(inject.CutPoll); e != nil && polling && r.Method == http.MethodGet {
		p.serveCutPoll(w, r, x, e)
		return
	}
	p.relayHTTP(w, r, x)
}

// failLocally answers fail-polls' status: an Engine.IO JSON error when the
// rule names a code, else a plain-text page as a load balancer would.
func (p *Proxy) failLocally(w http.ResponseWriter, r *http.Request, x *exchange, e *inject.Entry) {
	h := http.Header{}
	var body []byte
	if e.Code >= 0 {
		h.Set("Content-Type", "application/json")
		body = fmt.Appendf(nil, `{"code":%d,"message":%q}`, e.Code, engineMessages[e.Code])
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = fmt.Appendf(nil, "%d %s (sioproxy --inject %s)\n", e.Status, http.StatusText(e.Status), e.Text)
	}
	p.answerLocally(w, r, x, e.Status, h, body)
}

// answerLocally answers r in the upstream's place without forwarding it,
// and pushes the exchange as the client saw it. The request body is not
// read (its packets never reach the server), so it is not observed.
func (p *Proxy) answerLocally(w http.ResponseWriter, r *http.Request, x *exchange, status int, h http.Header, body []byte) {
	for k, vv := range h {
		w.Header()[k] = vv
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	// The client may keep sending a body nobody reads; closing after the
	// answer is what a balancer refusing a request does.
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	w.Write(body)
	ex := p.localExchange(x, r)
	ex.Status, ex.RespHeader, ex.RespBody, ex.RespLen = status, w.Header().Clone(), body, int64(len(body))
	p.exchanges.Add(1)
	p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

// abortLocally closes the client connection without an answer (a lost
// request, as the client sees it).
func (p *Proxy) abortLocally(w http.ResponseWriter, r *http.Request, x *exchange, why string) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	} else {
		panic(http.ErrAbortHandler) // net/http closes the connection without an answer
	}
	ex := p.localExchange(x, r)
	ex.Err, ex.ErrKind = why, "upstream_reset"
	p.exchanges.Add(1)
	p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

func (p *Proxy) localExchange(x *exchange, r *http.Request) *obs.HTTPExchange {
	// Upstream stays the one the request was meant for: the client cannot
	// tell an intermediary's answer from the server's, nor can the diagnosis.
	ex := &obs.HTTPExchange{ID: x.id, Client: x.client, Upstream: p.upstreamOf(x), Start: x.start, End: p.opts.Now(),
		Method: x.method, URL: x.uri, Host: x.host, Proto: x.proto, ReqHeader: x.reqHeader, ReqLen: max(r.ContentLength, 0)}
	st := *ex
	st.End = time.Time{}
	p.push(obs.Obs{Kind: obs.KindHTTPStart, Time: ex.End, HTTP: &st})
	return ex
}

// stripCORS is strip-cors: the answer loses its Access-Control-* headers,
// in what is relayed and in what is observed.
func (p *Proxy) stripCORS(resp *http.Response, x *exchange) {
	e := p.opts.Inject.Get(inject.StripCORS)
	if e == nil {
		return
	}
	var gone []string
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			gone = append(gone, k)
			resp.Header.Del(k)
		}
	}
	if ob, ok := resp.Body.(*observedBody); ok {
		for _, k := range gone {
			ob.header.Del(k)
		}
	}
	if len(gone) > 0 && x != nil {
		p.injectedOnce(e, "stripped", strings.Join(gone, ", ")+" removed from the answer", x)
	}
}

// serveCutPoll relays a long-poll GET but cuts it at the rule's age, as an
// intermediary's read timeout does: with a 504 (":504"), or by closing the
// connection. The upstream request is cancelled, so the server sees the
// poll end prematurely too.
func (p *Proxy) serveCutPoll(w http.ResponseWriter, r *http.Request, x *exchange, e *inject.Entry) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	cw := &cutWriter{ResponseWriter: w}
	cutAt := e.After
	x.fix = new(atomic.Pointer[func(*obs.HTTPExchange)])
	t := time.AfterFunc(cutAt, func() {
		if !cw.cut() {
			return // the answer has begun: the poll finished in time
		}
		fix := func(ex *obs.HTTPExchange) {
			if e.Frame {
				ex.Status, ex.Err, ex.ErrKind = http.StatusGatewayTimeout, "", ""
				ex.RespHeader = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
			} else {
				ex.Err, ex.ErrKind = fmt.Sprintf("sioproxy --inject %s: connection closed after %v", e.Text, cutAt), "timeout"
			}
		}
		x.fix.Store(&fix)
		p.injected(e, "cut", fmt.Sprintf("long-poll GET cut after %v", cutAt), x, 0, 0)
		cancel()
	})
	p.relayHTTP(cw, r.WithContext(ctx), x)
	t.Stop()
	if !cw.wasCut() {
		return
	}
	if e.Frame {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusGatewayTimeout)
		io.WriteString(w, "504 Gateway Timeout (sioproxy --inject "+e.Text+")\n")
		return
	}
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// cutWriter swallows the upstream's answer once cut-poll has cut.
type cutWriter struct {
	http.ResponseWriter
	mu            sync.Mutex
	started, gone bool
}

func (c *cutWriter) cut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return false
	}
	c.gone = true
	return true
}

func (c *cutWriter) wasCut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}

func (c *cutWriter) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = c.started || !c.gone
	return !c.gone
}

func (c *cutWriter) WriteHeader(code int) {
	if c.begin() {
		c.ResponseWriter.WriteHeader(code)
	}
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if !c.begin() {
		return 0, http.ErrHandlerTimeout
	}
	return c.ResponseWriter.Write(b)
}

func (c *cutWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *cutWriter) Flush() {
	if c.begin() {
		http.NewResponseController(c.ResponseWriter).Flush()
	}
}
