package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/sioproxy/sioproxy/decode/diagnose"
)

// identityHeaders tell which backend answered (FAULTS.md C2).
var identityHeaders = []string{"X-Served-By", "X-Backend-Server", "X-Backend", "X-Server-Id", "X-Upstream", "X-Node", "Via"}

func identity(x *exchange) string {
	if x == nil || x.Header == nil {
		return ""
	}
	for _, h := range identityHeaders {
		if v := x.Header.Get(h); v != "" {
			return h + ": " + esc(v)
		}
	}
	return ""
}

// browserHeader is what a browser page at --origin adds.
func (d *doctor) browserHeader() http.Header {
	if d.opts.Origin == "" {
		return nil
	}
	return http.Header{"Origin": {d.opts.Origin}}
}

// probeAffinity checks cookies and that a session's requests reach the
// server that holds it (FAULTS.md B4, C1).
func (d *doctor) probeAffinity(ctx context.Context, e *engine) {
	if !e.polling {
		d.probe(LayerAffinity, "session affinity").pass("WebSocket-only: one connection carries the whole session, no affinity needed")
		return
	}
	p := d.probe(LayerAffinity, "handshake cookies")
	s, x, err := d.newSession(ctx, e, d.browserHeader())
	p.exchange(x)
	if err != nil {
		p.skip("no session: %s (see the engine.io layer)", esc(err.Error()))
		return
	}
	d.cookieVerdict(p, x)

	p = d.probe(LayerAffinity, "next request with the sid")
	px, err := s.post(ctx, firstPost(d.opts, e.v))
	if err == nil {
		_, gx, gerr := s.poll(ctx, 0)
		if gerr != nil {
			px, err = gx, gerr
		}
	}
	p.exchange(px)
	switch {
	case err == nil:
		p.pass("POST and GET with sid %s answered 200", esc(s.sid))
	case errorsIsSessionUnknown(px):
		p.fail("the request after the handshake got 400 \"Session ID unknown\": it reached a server that does not hold sid %s", esc(s.sid)).fault(diagnose.CodeSessionUnknownLive)
		d.affinityDetail(p, x, px)
	default:
		p.fail("the request after the handshake failed: %s", esc(err.Error()))
	}
	s.close(ctx)

	d.probeParallel(ctx, e)
}

func (d *doctor) affinityDetail(p *Probe, hs, next *exchange) {
	a, b := identity(hs), identity(next)
	if a != "" || b != "" {
		p.detail("handshake answered by %q, next request by %q", a, b)
	}
}

// cookieVerdict judges the handshake's Set-Cookie for a browser at
// --origin: SameSite and Secure decide whether cookies ride back.
func (d *doctor) cookieVerdict(p *Probe, x *exchange) {
	resp := http.Response{Header: x.Header}
	cs := resp.Cookies()
	if len(cs) == 0 {
		p.pass("no Set-Cookie on the handshake (no cookie-based affinity to keep)")
		return
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	crossSite := d.opts.Origin != "" && !sameSite(d.opts.Origin, d.base)
	crossOrigin := d.opts.Origin != "" && !sameOrigin(d.opts.Origin, d.base)
	for _, c := range cs {
		ss := sameSiteName(c.SameSite)
		switch {
		case crossSite && c.SameSite != http.SameSiteNoneMode:
			p.warn("cookie %s is SameSite=%s: a page at %s (another site) never sends it back, so cookie affinity breaks", esc(c.Name), ss, esc(d.opts.Origin)).fault(diagnose.CodeCookieNotSent)
			p.Fix = fmt.Sprintf("Set the cookie %s with `SameSite=None; Secure` (cross-site), and `withCredentials: true` on the client with `cors.credentials: true`.", esc(c.Name))
			return
		case c.SameSite == http.SameSiteNoneMode && !c.Secure:
			p.warn("cookie %s is SameSite=None without Secure: browsers reject it", esc(c.Name)).fault(diagnose.CodeCookieNotSent)
			p.Fix = fmt.Sprintf("Add `Secure` to the cookie %s (and serve over https).", esc(c.Name))
			return
		}
	}
	if crossOrigin && !strings.EqualFold(x.Header.Get("Access-Control-Allow-Credentials"), "true") {
		p.warn("the handshake sets %s but allows no credentials for %s: the browser drops the cookie and never sends it back", esc(strings.Join(names, ", ")), esc(d.opts.Origin)).fault(diagnose.CodeCookieNotSent)
		p.Fix = fmt.Sprintf("Set `cors: {origin: [%q], credentials: true}` on the server and `withCredentials: true` on the client.", d.opts.Origin)
		return
	}
	p.pass("cookies %s can ride back (%s)", esc(strings.Join(names, ", ")), cookieAttrs(cs))
}

func cookieAttrs(cs []*http.Cookie) string {
	var parts []string
	for _, c := range cs {
		s := esc(c.Name) + ": SameSite=" + sameSiteName(c.SameSite)
		if c.Secure {
			s += ", Secure"
		}
		if c.HttpOnly {
			s += ", HttpOnly"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func sameSiteName(m http.SameSite) string {
	switch m {
	case http.SameSiteNoneMode:
		return "None"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteLaxMode:
		return "Lax"
	}
	return "unset (Lax)"
}

// sameSite approximates the registrable domain: the same host, or one a
// subdomain of the other's last two labels.
func sameSite(origin string, base *url.URL) bool {
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	a, b := o.Hostname(), base.Hostname()
	if a == b {
		return true
	}
	site := func(h string) string {
		parts := strings.Split(h, ".")
		if len(parts) <= 2 {
			return h
		}
		return strings.Join(parts[len(parts)-2:], ".")
	}
	return site(a) == site(b)
}

// probeParallel opens N sessions at once, then sends each its next two
// requests back to back: behind a balancer without affinity, two
// consecutive requests of one session land on different servers (C1).
func (d *doctor) probeParallel(ctx context.Context, e *engine) {
	n := d.opts.Sessions
	p := d.probe(LayerAffinity, fmt.Sprintf("%d parallel sessions", n))
	hdr := d.browserHeader()
	sessions := make([]*session, n)
	hss := make([]*exchange, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sessions[i], hss[i], errs[i] = d.newSession(ctx, e, hdr)
		}()
	}
	wg.Wait()
	opened, unknown := 0, 0
	var first *exchange
	backends := map[string]bool{}
	for i, s := range sessions {
		if errs[i] != nil {
			p.detail("session %d: handshake failed: %s", i+1, esc(errs[i].Error()))
			continue
		}
		opened++
		if id := identity(hss[i]); id != "" {
			backends[id] = true
		}
		x, err := s.post(ctx, firstPost(d.opts, e.v))
		if err == nil {
			_, x, err = s.poll(ctx, 0)
		}
		if id := identity(x); id != "" {
			backends[id] = true
		}
		if err != nil {
			if errorsIsSessionUnknown(x) {
				unknown++
				if first == nil {
					first = x
				}
				p.detail("session %d (sid %s): handshake by %q, then %s %s → 400 Session ID unknown (by %q)", i+1, esc(s.sid), identity(hss[i]), x.Method, esc(x.Target), identity(x))
			} else {
				p.detail("session %d: %s", i+1, esc(err.Error()))
			}
		}
		s.close(ctx)
	}
	if first != nil {
		p.exchange(first)
	} else if hss[0] != nil {
		p.exchange(hss[0])
	}
	if len(backends) > 1 {
		var ids []string
		for id := range backends {
			ids = append(ids, id)
		}
		p.detail("answers came from %d backends: %s", len(ids), strings.Join(ids, ", "))
	}
	switch {
	case opened == 0:
		p.fail("none of %d parallel handshakes succeeded", n)
	case unknown > 0:
		p.fail("%d of %d sessions got \"Session ID unknown\" on a follow-up request: a load balancer spreads one session over several servers", unknown, opened).fault(diagnose.CodeSessionUnknownLive)
		p.Fix = "Enable sticky sessions on the load balancer (nginx `ip_hash` or `hash $remote_addr consistent` in the upstream block; a cookie in HAProxy/Traefik; `@socket.io/sticky` for Node cluster), or make clients connect with `transports: [\"websocket\"]`."
	case opened < n:
		p.warn("%d of %d parallel handshakes failed", n-opened, n)
	default:
		p.pass("%d sessions opened in parallel; each one's next requests reached the server holding it", n)
	}
}
