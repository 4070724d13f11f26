package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/sioproxy/sioproxy/decode/diagnose"
)

// foreignOrigin is an origin no server should allow: answered with itself
// and credentials, the server reflects any origin.
const foreignOrigin = "https://doctor-probe.invalid"

// probeCORS checks what a browser on --origin would: the handshake GET,
// a POST, and the preflight extraHeaders cause (FAULTS.md B1–B3).
func (d *doctor) probeCORS(ctx context.Context, e *engine) {
	if d.opts.Origin == "" {
		d.probe(LayerCORS, "CORS").skip("no --origin given: CORS only matters in a browser; pass the page's origin (e.g. --origin https://app.example.com) to check it")
		return
	}
	if sameOrigin(d.opts.Origin, d.base) {
		d.probe(LayerCORS, "CORS").pass("%s is the server's own origin: the browser applies no CORS check", esc(d.opts.Origin))
		return
	}
	if !e.polling {
		d.probe(LayerCORS, "CORS").pass("WebSocket-only: WebSocket connections are exempt from CORS")
		return
	}
	hdr := http.Header{"Origin": {d.opts.Origin}}

	p := d.probe(LayerCORS, "handshake GET")
	s, x, err := d.newSession(ctx, e, hdr)
	p.exchange(x)
	credsWithStar := false
	if err != nil {
		p.fail("the handshake from %s was refused: %s", esc(d.opts.Origin), esc(err.Error()))
		if strings.Contains(err.Error(), "code 3") || strings.Contains(err.Error(), "code 4") {
			p.Fix = "The server's origin check (`cors.origin` callback, `allowRequest` or an `io.engine.use()` middleware) refuses " + esc(d.opts.Origin) + ": allow it there."
		}
		p.Fault = "A"
	} else {
		credsWithStar = d.corsVerdict(p, x, "handshake GET")
		defer s.close(ctx)
		pp := d.probe(LayerCORS, "POST")
		px, perr := s.post(ctx, firstPost(d.opts, e.v))
		pp.exchange(px)
		if perr != nil && px.Status != 200 {
			pp.fail("POST from %s: %s", esc(d.opts.Origin), esc(perr.Error()))
		} else {
			d.corsVerdict(pp, px, "POST")
		}
	}

	d.probePreflight(ctx, e)

	// Reflection: only meaningful when this origin got itself back with
	// credentials.
	if x != nil && x.Header != nil && x.Header.Get("Access-Control-Allow-Origin") == d.opts.Origin && strings.EqualFold(x.Header.Get("Access-Control-Allow-Credentials"), "true") && !credsWithStar {
		p := d.probe(LayerCORS, "origin reflection")
		r := d.handshake(ctx, e.v, e.path, http.Header{"Origin": {foreignOrigin}})
		p.exchange(r.x)
		if r.ok {
			d.closeHandshake(ctx, r)
		}
		if r.x.Header != nil && r.x.Header.Get("Access-Control-Allow-Origin") == foreignOrigin && strings.EqualFold(r.x.Header.Get("Access-Control-Allow-Credentials"), "true") {
			p.warn("security: the server reflects any Origin (%s) with Access-Control-Allow-Credentials: true, so any web site can use your users' cookies with it", foreignOrigin).Fault = "B2"
			p.Code = diagnose.CodeCORSMismatch
			p.Fix = fmt.Sprintf("List the allowed origins: `cors: {origin: [%q], credentials: true}` instead of `origin: true` or a callback that accepts everything.", d.opts.Origin)
		} else {
			p.pass("another origin (%s) is not allowed: the server does not reflect every Origin", foreignOrigin)
		}
	}
}

// corsVerdict judges one response's CORS headers for --origin. It
// reports whether the answer is `*` with credentials.
func (d *doctor) corsVerdict(p *Probe, x *exchange, what string) bool {
	acao := x.Header.Get("Access-Control-Allow-Origin")
	acac := strings.EqualFold(x.Header.Get("Access-Control-Allow-Credentials"), "true")
	o := esc(d.opts.Origin)
	switch {
	case acao == "":
		p.fail("%s from %s answered without Access-Control-Allow-Origin: the browser hides the response (xhr poll error)", what, o).fault(diagnose.CodeCORSMissing)
		p.Fix = fmt.Sprintf("CORS is off by default since Socket.IO v3: set `cors: {origin: [%q]}` on the server (the cors module omits the header for an origin it does not list).", d.opts.Origin)
	case acao == "*" && acac:
		p.fail("%s answered Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true: browsers refuse credentialed requests against *", what).fault(diagnose.CodeCORSWildcardCreds)
		p.Fix = fmt.Sprintf("List the origins: `cors: {origin: [%q], credentials: true}` on the server (`origin: \"*\"` cannot carry cookies), and `withCredentials: true` on the client.", d.opts.Origin)
		return true
	case acao == "*":
		p.pass("%s allowed for any origin (*), without credentials", what)
	case acao != d.opts.Origin:
		p.fail("%s answered Access-Control-Allow-Origin %q, not %s: the browser hides the response", what, esc(acao), o).fault(diagnose.CodeCORSMismatch)
		p.Fix = fmt.Sprintf("Add %q to `cors.origin` on the server (scheme, host and port must match exactly; it now allows %q).", d.opts.Origin, acao)
	case acac:
		p.pass("%s allowed for %s, with credentials", what, o)
	default:
		p.pass("%s allowed for %s (without credentials: cookies do not ride)", what, o)
	}
	return false
}

// probePreflight sends the OPTIONS a browser sends when the client has
// extraHeaders (the --header names).
func (d *doctor) probePreflight(ctx context.Context, e *engine) {
	p := d.probe(LayerCORS, "preflight")
	if len(d.opts.Header) == 0 {
		p.skip("no --header: without extraHeaders the client's GET and text/plain POST are simple requests, with no preflight")
		return
	}
	var names []string
	for k := range d.opts.Header {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	hdr := http.Header{
		"Origin":                         {d.opts.Origin},
		"Access-Control-Request-Method":  {"GET"},
		"Access-Control-Request-Headers": {strings.Join(names, ",")},
	}
	x := d.doBare(ctx, "OPTIONS", pollTarget(e.path, e.v, ""), hdr)
	p.exchange(x)
	acao := x.Header.Get("Access-Control-Allow-Origin")
	switch {
	case x.Status == 0:
		p.fail("preflight got no answer: %s", esc(errString(x.Err)))
	case x.Status == 400 && strings.Contains(string(x.Body), `"code":2`):
		p.fail("OPTIONS answered 400 code 2 (Bad handshake method): the server has no cors option, so the preflight for %s fails", strings.Join(names, ", ")).fault(diagnose.CodePreflightNoCORS)
		p.Fix = fmt.Sprintf("Set `cors: {origin: [%q], allowedHeaders: [%q]}` on the server, or drop the client's extraHeaders.", d.opts.Origin, strings.Join(names, ","))
	case x.Status >= 300:
		p.fail("OPTIONS answered %d: the browser blocks the request", x.Status).fault(diagnose.CodePreflightNoCORS)
	case acao == "":
		p.fail("preflight answered %d without Access-Control-Allow-Origin: %s is refused", x.Status, esc(d.opts.Origin)).fault(diagnose.CodePreflightOrigin)
		p.Fix = fmt.Sprintf("Add %q to `cors.origin` on the server.", d.opts.Origin)
	case acao != "*" && acao != d.opts.Origin:
		p.fail("preflight allowed %q, not %s", esc(acao), esc(d.opts.Origin)).fault(diagnose.CodePreflightOrigin)
		p.Fix = fmt.Sprintf("Add %q to `cors.origin` on the server.", d.opts.Origin)
	default:
		allowed := map[string]bool{}
		for _, v := range x.Header.Values("Access-Control-Allow-Headers") {
			for _, h := range strings.Split(v, ",") {
				allowed[strings.ToLower(strings.TrimSpace(h))] = true
			}
		}
		var missing []string
		for _, n := range names {
			if !allowed[n] && !allowed["*"] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			p.fail("preflight does not allow the header(s) %s (Access-Control-Allow-Headers: %q)", strings.Join(missing, ", "), esc(x.Header.Get("Access-Control-Allow-Headers"))).fault(diagnose.CodePreflightHeader)
			p.Fix = fmt.Sprintf("Add %q to `cors.allowedHeaders` on the server, or drop them from the client's extraHeaders.", strings.Join(missing, ","))
			return
		}
		p.pass("preflight allows %s with %s", esc(d.opts.Origin), strings.Join(names, ", "))
	}
}

// doBare is do without the --header values (a preflight names them but
// does not send them).
func (d *doctor) doBare(ctx context.Context, method, target string, hdr http.Header) *exchange {
	return d.doWith(ctx, method, target, nil, hdr, 0, false)
}

func sameOrigin(origin string, base *url.URL) bool {
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return o.Scheme == base.Scheme && hostPort(o) == hostPort(base)
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return u.Hostname() + ":" + port
}
