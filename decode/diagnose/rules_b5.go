package diagnose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// maxReflected bounds the origins remembered per upstream.
const maxReflected = 8

// latentCORS is B5 on a cross-origin answer that works today: a CORS
// setup that fails the first credentialed client, or that lets any site
// use the user's session. Warnings, raised before any browser fails.
func (e *Engine) latentCORS(x *obs.HTTPExchange, sid, org, acao string, emit func(event.Event)) {
	f := finding{sid: sid, client: x.Client, at: x.End, evidence: []string{httpLine(x)}, key: x.Upstream}
	if acao == "*" {
		f.code = CodeCORSLatentWildcard
		f.summary = fmt.Sprintf("The server answers Origin %s with Access-Control-Allow-Origin: * and Access-Control-Allow-Credentials: true: browsers refuse that combination, so the first client with withCredentials (or a cookie) will fail", org)
		f.fix = fmt.Sprintf("List the origins explicitly: `cors: {origin: [%s], credentials: true}` on the server; `*` never works with credentials.", strconv.Quote(org))
		e.report(f, emit)
		return
	}
	// acao == org: the origin was echoed. One origin is normal (it may be
	// the configured one); two different ones, or "null", mean the server
	// reflects whatever comes.
	up := x.Upstream
	seen := e.reflected[up]
	if !slices.Contains(seen, org) {
		if len(seen) >= maxReflected {
			seen = seen[1:]
		}
		seen = append(seen, org)
		if len(e.reflected) < 1024 || e.reflected[up] != nil {
			e.reflected[up] = seen
		}
	}
	if org != "null" && len(seen) < 2 {
		return
	}
	f.code = CodeCORSReflected
	if org == "null" {
		f.summary = "The server echoed Origin null back in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: sandboxed frames and file:// pages of any site can use the user's session"
	} else {
		f.summary = fmt.Sprintf("The server echoed %d different origins (%s) in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: it reflects any Origin, so any website can make the browser use the user's session", len(seen), strings.Join(seen, ", "))
	}
	var quoted []string
	for _, o := range seen {
		if o != "null" {
			quoted = append(quoted, strconv.Quote(o))
		}
	}
	f.fix = fmt.Sprintf("Replace `origin: true` (or a callback that accepts any origin) with the list of your own origins: `cors: {origin: [%s], credentials: true}`, keeping only those that are yours.", strings.Join(quoted, ", "))
	e.report(f, emit)
}
