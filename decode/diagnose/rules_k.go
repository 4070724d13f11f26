package diagnose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// upstreamDown is K: sioproxy could not connect to the target, so the
// client got a 502. One fault per target, whatever client asked.
func (e *Engine) upstreamDown(x *obs.HTTPExchange, emit func(event.Event)) {
	target := x.Upstream
	if target == "" {
		target = "the target"
	}
	why := dialReason(x.Err)
	if x.Upstream != "" {
		e.csr.init()
		e.csr.downAt[x.Upstream] = x.End
	}
	e.report(finding{
		code: CodeUpstreamUnreachable, client: x.Client, at: x.End, key: target, target: x.Upstream,
		summary: fmt.Sprintf("The target %s does not answer: %s; sioproxy answered %s %s with 502 Bad Gateway",
			target, why, x.Method, clip(pathOf(x.URL), 60)),
		evidence: []string{httpLine(x)},
		fix:      unreachableFix(x.Upstream, x.Err),
	}, emit)
}

// dialReason turns a Go dial error into words: "connection refused
// (nothing listens on 127.0.0.1:3000)".
func dialReason(err string) string {
	switch {
	case strings.Contains(err, "connection refused"):
		return "connection refused (" + clip(err, 100) + ")"
	case strings.Contains(err, "no such host"):
		return "the host name does not resolve (" + clip(err, 100) + ")"
	case strings.Contains(err, "i/o timeout"), strings.Contains(err, "timeout"):
		return "the connection attempt timed out (" + clip(err, 100) + ")"
	case strings.Contains(err, "network is unreachable"), strings.Contains(err, "no route to host"):
		return "no route to the host (" + clip(err, 100) + ")"
	}
	return clip(err, 120)
}

// unreachableFix names the target's host and port and a check to run.
func unreachableFix(target, err string) string {
	u, perr := url.Parse(target)
	if target == "" || perr != nil || u.Host == "" {
		return "Is the server running, and on the port `--target` names? Start it, or point `--target` at the port it listens on."
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	host := u.Hostname()
	fix := fmt.Sprintf("Is the server running, and listening on port %s of %s? Start it, or point `--target` at the port it listens on; check with `curl -i \"%s/socket.io/?EIO=4&transport=polling\"` (expect `0{\"sid\":…}`).",
		port, host, strings.TrimRight(target, "/"))
	switch {
	case strings.Contains(err, "no such host"):
		fix = fmt.Sprintf("The host name %s does not resolve: fix the name in `--target` (or its DNS / hosts entry).", host)
	case host == "localhost" || host == "127.0.0.1" || host == "::1":
		fix += " A server bound to another interface (IPv6 ::1 versus 127.0.0.1, a container port not published) refuses the same way."
	}
	return fix
}
