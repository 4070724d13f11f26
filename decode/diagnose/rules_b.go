package diagnose

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// crossOrigin returns the request's Origin when it differs from the
// origin the request was addressed to (FAULTS.md B: WebSocket is exempt,
// callers only pass polling requests).
func (e *Engine) crossOrigin(x *obs.HTTPExchange) (string, bool) {
	org := x.ReqHeader.Get("Origin")
	if org == "" {
		return "", false
	}
	if org == "null" {
		return org, true // sandboxed frames and file:// pages
	}
	po, ok := parseOrigin(org)
	if !ok {
		return "", false
	}
	ro, ok := e.requestOrigin(x)
	if ok && po == ro {
		return "", false
	}
	return org, true
}

// checkCORS is B1 and B2 on a polling request's answer.
func (e *Engine) checkCORS(x *obs.HTTPExchange, sid string, handshake bool, emit func(event.Event)) {
	if x.Status == 0 {
		return
	}
	org, ok := e.crossOrigin(x)
	if !ok {
		return
	}
	acao := x.RespHeader.Get("Access-Control-Allow-Origin")
	cookie := x.ReqHeader.Get("Cookie") != ""
	acac := strings.EqualFold(strings.TrimSpace(x.RespHeader.Get("Access-Control-Allow-Credentials")), "true")
	f := finding{sid: sid, client: x.Client, at: x.End, evidence: []string{httpLine(x)}, fix: e.corsFix(x, org, cookie)}
	switch {
	case acao == "":
		f.code = CodeCORSMissing
		f.summary = fmt.Sprintf("Origin %s is not allowed: the server answered %s %d without Access-Control-Allow-Origin, so the browser hides the answer", org, x.Method, x.Status)
		if handshake && x.Status == http.StatusOK {
			f.summary += " (the session it opened is orphaned)"
		}
	case acao == "*" && cookie:
		f.code = CodeCORSWildcardCreds
		f.summary = fmt.Sprintf("The request from Origin %s carries cookies (withCredentials) but the server answered Access-Control-Allow-Origin: *, which browsers refuse for credentials", org)
	case acao != "*" && acao != org:
		f.code = CodeCORSMismatch
		f.summary = fmt.Sprintf("Origin %s is not allowed: the server answered Access-Control-Allow-Origin: %s", org, clip(acao, 100))
		f.fix = fmt.Sprintf("Add %q to `cors.origin` on the server: it allows %s only. ", org, clip(acao, 100)) + f.fix
	case cookie && !acac:
		f.code = CodeCORSCredsMissing
		f.summary = fmt.Sprintf("The request from Origin %s carries cookies (withCredentials) but the answer lacks Access-Control-Allow-Credentials: true", org)
	default:
		if acac {
			e.latentCORS(x, sid, org, acao, emit)
		}
		return
	}
	e.report(f, emit)
}

// checkPreflight is B3: a CORS preflight (only sent because the client
// adds extraHeaders) that the browser will not accept.
func (e *Engine) checkPreflight(x *obs.HTTPExchange, emit func(event.Event)) {
	method := x.ReqHeader.Get("Access-Control-Request-Method")
	if method == "" || x.Status == 0 {
		return
	}
	org := originOf(x)
	f := finding{client: x.Client, at: x.End, evidence: []string{httpLine(x)}, sid: sidOf(x.URL), fix: e.preflightFix(x, org, preflightHeaders(x))}
	acao := x.RespHeader.Get("Access-Control-Allow-Origin")
	switch {
	case x.Status < 200 || x.Status >= 300:
		f.code = CodePreflightNoCORS
		f.summary = fmt.Sprintf("The CORS preflight OPTIONS (for %s from Origin %s) was answered %d: the server does not handle preflights (no cors option)", method, org, x.Status)
	case acao == "":
		f.code = CodePreflightOrigin
		f.summary = fmt.Sprintf("The CORS preflight from Origin %s was answered %d without Access-Control-Allow-Origin: the origin is not allowed", org, x.Status)
	case acao != "*" && acao != org:
		f.code = CodePreflightOrigin
		f.summary = fmt.Sprintf("Origin %s is not allowed: the preflight was answered Access-Control-Allow-Origin: %s", org, clip(acao, 100))
	default:
		missing := refusedHeaders(x.ReqHeader.Get("Access-Control-Request-Headers"), x.RespHeader.Get("Access-Control-Allow-Headers"))
		if len(missing) == 0 {
			return
		}
		f.code = CodePreflightHeader
		f.fix = e.preflightFix(x, org, missing)
		allowed := x.RespHeader.Get("Access-Control-Allow-Headers")
		if allowed == "" {
			allowed = "(none)"
		}
		f.summary = fmt.Sprintf("The CORS preflight asked for header %s but the server allows only Access-Control-Allow-Headers: %s", strings.Join(missing, ", "), clip(allowed, 100))
	}
	e.report(f, emit)
}

// refusedHeaders lists the requested headers the preflight answer does not
// allow.
func refusedHeaders(requested, allowed string) []string {
	if strings.TrimSpace(requested) == "" {
		return nil
	}
	var ok []string
	for h := range strings.SplitSeq(allowed, ",") {
		ok = append(ok, strings.ToLower(strings.TrimSpace(h)))
	}
	if slices.Contains(ok, "*") {
		return nil
	}
	var missing []string
	for h := range strings.SplitSeq(requested, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h != "" && !slices.Contains(ok, h) && len(missing) < 8 {
			missing = append(missing, h)
		}
	}
	return missing
}

func sidOf(url string) string {
	_, rawq, _ := strings.Cut(url, "?")
	return eio.SidParam(rawq)
}

// setCookieAt is an affinity cookie a response of the session set.
type setCookieAt struct {
	name, value, path string
	at                time.Time
	line              string
}

// checkCookies is B4: an affinity cookie set by an earlier answer of the
// session that the next request does not carry.
func (e *Engine) checkCookies(ss *sidState, id uint64, start time.Time, cookieHdr, path, upstream string, line func() string, emit func(event.Event)) {
	if ss.cookieFlagged {
		return
	}
	s := ss.s
	var set []setCookieAt
	add := func(scs []string, end time.Time, l string) {
		for _, sc := range scs {
			c, err := http.ParseSetCookie(sc)
			if err != nil || !isAffinity(c.Name) || c.Value == "" || c.MaxAge < 0 {
				continue
			}
			set = append(set, setCookieAt{name: c.Name, value: c.Value, path: c.Path, at: end, line: l})
		}
	}
	if s.HandshakeWS != nil && s.HandshakeWS.ID != id && s.HandshakeWS.Open != nil {
		add(s.SetCookie, s.Opened, "WebSocket handshake")
	}
	for i := range s.Requests {
		r := &s.Requests[i]
		// Most requests set no cookie: that test first, it is the cheapest.
		if len(r.SetCookie) == 0 || r.Exchange == id || r.End.After(start) {
			continue
		}
		add(r.SetCookie, r.End, fmt.Sprintf("%s #%d", r.Method, r.Exchange))
	}
	for _, c := range set {
		if c.path != "" && !strings.HasPrefix(path, c.path) {
			continue
		}
		if _, ok := cookieValue(cookieHdr, c.name); ok {
			continue
		}
		if c.name == "sioproxy_upstream" && upstream == ss.upstream {
			continue // sioproxy routes by sid first; the cookie only matters when that fails
		}
		ss.cookieFlagged = true
		e.report(finding{
			code: CodeCookieNotSent, sid: s.Sid, client: s.Client, at: start,
			summary:  fmt.Sprintf("The server set cookie %s=%s for session %s, but the next request came without it", c.name, clip(c.value, 40), s.Sid),
			evidence: []string{"Set-Cookie " + c.name + " on " + c.line, line() + " (Cookie: " + clip(orNone(cookieHdr), 80) + ")"},
			fix: fmt.Sprintf("Make the client send cookie %s back: `withCredentials: true` on the client and `cors: {origin: [...], credentials: true}` on the server (the Node client honours it since 4.7.0); a cross-site %s cookie needs `SameSite=None; Secure`, and its Path must cover %s.",
				c.name, c.name, clip(path, 60)),
		}, emit)
		return
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
