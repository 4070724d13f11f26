package diagnose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// Advice that uses what sioproxy saw (issue 12, point 6): the page's
// origin, the Engine.IO path, the header names and the ports go into the
// fix, and the check to run tests what the fault is about.

// eioBase is the path prefix of the Engine.IO request ("/socket.io/").
func eioBase(rawURL string) string {
	p, _, _ := strings.Cut(rawURL, "?")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[:i+1]
	}
	if p == "" {
		p = "/socket.io/"
	}
	return clip(p, 80)
}

// serverURL is where to point a check: the upstream that answered (so the
// check bypasses sioproxy), else the address the client used.
func (e *Engine) serverURL(x *obs.HTTPExchange) string {
	if x.Upstream != "" {
		return strings.TrimRight(x.Upstream, "/")
	}
	if o, ok := e.requestOrigin(x); ok {
		return o.scheme + "://" + hostPort(o)
	}
	return "http://HOST:PORT"
}

func hostPort(o origin) string {
	h := o.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if o.port == defaultPort(o.scheme) {
		return h
	}
	return h + ":" + o.port
}

// pathOption is the `path` server/client option when the request did not
// use the default one.
func pathOption(base string) string {
	if base == "/socket.io/" {
		return ""
	}
	return ", path: " + strconv.Quote(strings.TrimSuffix(base, "/"))
}

// corsCheck is a curl command that sends the page's Origin and shows the
// Access-Control-Allow-* headers the server answers with.
func (e *Engine) corsCheck(x *obs.HTTPExchange, org string) string {
	return fmt.Sprintf("`curl -si -H \"Origin: %s\" \"%s%s?EIO=4&transport=polling\" | grep -i '^access-control-allow'` (expect `Access-Control-Allow-Origin: %s`)",
		org, e.serverURL(x), eioBase(x.URL), org)
}

// corsFix is B1/B2's fix with the observed origin, path and credentials.
func (e *Engine) corsFix(x *obs.HTTPExchange, org string, creds bool) string {
	opt := fmt.Sprintf("cors: {origin: [%s]", strconv.Quote(org))
	if creds {
		opt += ", credentials: true"
	}
	opt += "}"
	fix := fmt.Sprintf("Allow the page's origin on the server: `new Server(httpServer, {%s%s})`", opt, pathOption(eioBase(x.URL)))
	if creds {
		fix += " and `withCredentials: true` on the client"
	}
	return fix + " (CORS is off by default since Socket.IO v3; scheme, host and port must match exactly). Check: " + e.corsCheck(x, org) + "."
}

// preflightFix is B3's fix with the origin and the header names the client
// asked for.
func (e *Engine) preflightFix(x *obs.HTTPExchange, org string, headers []string) string {
	var hs []string
	for _, h := range headers {
		hs = append(hs, strconv.Quote(h))
	}
	opt := fmt.Sprintf("cors: {origin: [%s]", strconv.Quote(org))
	if len(hs) > 0 {
		opt += ", allowedHeaders: [" + strings.Join(hs, ", ") + "]"
	}
	opt += "}"
	check := fmt.Sprintf("`curl -si -X OPTIONS -H \"Origin: %s\" -H \"Access-Control-Request-Method: %s\"", org, orNone(x.ReqHeader.Get("Access-Control-Request-Method")))
	if reqH := x.ReqHeader.Get("Access-Control-Request-Headers"); reqH != "" {
		check += fmt.Sprintf(" -H \"Access-Control-Request-Headers: %s\"", clip(reqH, 80))
	}
	check += fmt.Sprintf(" \"%s%s?EIO=4&transport=polling\" | grep -i '^access-control-allow'`", e.serverURL(x), eioBase(x.URL))
	fix := fmt.Sprintf("Set `new Server(httpServer, {%s%s})` on the server", opt, pathOption(eioBase(x.URL)))
	if len(hs) > 0 {
		fix += " (or drop those `extraHeaders` on the client: without them there is no preflight)"
	}
	return fix + ". Check: " + check + " (expect 204 with `Access-Control-Allow-Origin: " + org + "`)."
}

// preflightHeaders lists the header names a preflight asked for.
func preflightHeaders(x *obs.HTTPExchange) []string {
	var out []string
	for h := range strings.SplitSeq(x.ReqHeader.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" && len(out) < 8 {
			out = append(out, clip(h, 40))
		}
	}
	return out
}
