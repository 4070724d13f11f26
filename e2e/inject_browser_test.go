package e2e

import (
	"testing"
)

// strip-cors in a real browser: the server's cors option is right (the
// page's origin), sioproxy removes Access-Control-* from its answers, and
// headless Chromium blocks the handshake as it would behind a proxy that
// drops the headers: connect_error "xhr poll error", status hidden. The
// diagnosis is B1, naming the rule.
func TestInjectBrowserStripCORS(t *testing.T) {
	needProxy(t)
	br := startBrowser(t)
	page := newPageServer(t, false)
	srv := startServer(t, fastServer(map[string]any{"cors": map[string]any{"origin": page.origin}}))
	px := startProxy(t, srv.url, "--inject", "strip-cors")
	res := br.open(t, page.url(px.url, nil))
	wantBrowserBlocked(t, res, `No 'Access-Control-Allow-Origin' header is present`)
	expectInjectLine(t, px, "strip-cors", "stripped")
	expectInjectedFault(t, px, "strip-cors", faultWant{catalog: []string{"B1"}, code: []string{"cors_allow_origin_missing"}})
}
