package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaultsBrowser: CORS faults as a browser really enforces them. A page
// served from one origin (a Go test server on its own port) connects
// through sioproxy (another port, so another origin) to a socket.io server
// with a wrong cors option; headless Chromium blocks the answer, the page
// sees connect_error, and sioproxy must name the fault and the origins.
func TestFaultsBrowser(t *testing.T) {
	needProxy(t)
	br := startBrowser(t)
	for _, sc := range []struct {
		name string
		run  func(t *testing.T, br *browser)
	}{
		{"cors-origin-mismatch", faultCORSOrigin},
		{"credentials-with-star", faultCORSCredentialsStar},
		{"preflight-refuses-extra-header", faultCORSPreflight},
		{"healthy-cross-origin", healthyCORS},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, br)
		})
	}
}

// The server allows only http://app.example; the page is elsewhere.
func faultCORSOrigin(t *testing.T, br *browser) {
	page := newPageServer(t, false)
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": "http://app.example"}})
	px := startProxy(t, srv.url)
	res := br.open(t, page.url(px.url, nil))
	wantBrowserBlocked(t, res, `'Access-Control-Allow-Origin' header has a value 'http://app.example' that is not equal to the supplied origin`)
	sid := sessionSid(t, px) // the server opened a session the page never saw
	expectWire(t, px, "the cross-origin handshake answered 200", httpLine("GET", 200, "EIO=4"))
	expectFault(t, px, faultWant{catalog: []string{"B1", "B2"}, code: []string{"cors_origin_mismatch"}, sid: sid,
		summary: []string{regexp.QuoteMeta(page.origin), regexp.QuoteMeta("http://app.example")},
		// The fix names the page's origin and a check that sends it.
		fix: []string{regexp.QuoteMeta(`origin: ["` + page.origin + `"]`), regexp.QuoteMeta(`curl -si -H "Origin: ` + page.origin + `" "` + srv.url + `/socket.io/?EIO=4&transport=polling"`)}})
	expectOnlyFaults(t, px, "B1", "B2")
}

// cors.origin "*" and a client with withCredentials: the browser refuses
// a wildcard for a credentialed request. The page's origin set a cookie
// for 127.0.0.1 (cookies ignore ports), so the request carries it, which
// is how the wire shows that credentials were sent.
func faultCORSCredentialsStar(t *testing.T, br *browser) {
	page := newPageServer(t, true)
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": "*"}})
	px := startProxy(t, srv.url)
	res := br.open(t, page.url(px.url, map[string]any{"withCredentials": true}))
	wantBrowserBlocked(t, res, `must not be the wildcard '\*' when the request's credentials mode is 'include'`)
	sid := sessionSid(t, px)
	expectWire(t, px, "the credentialed handshake answered 200", httpLine("GET", 200, "EIO=4"))
	expectFault(t, px, faultWant{catalog: []string{"B2"}, code: []string{"cors_credentials_wildcard"}, sid: sid,
		summary: []string{regexp.QuoteMeta(page.origin), `Access-Control-Allow-Origin: \*`, `credential|cookie`}})
	expectOnlyFaults(t, px, "B2")
}

// extraHeaders {"x-token"} makes every poll preflighted; the server's
// cors.allowedHeaders does not list x-token, so the preflight refuses it.
func faultCORSPreflight(t *testing.T, br *browser) {
	page := newPageServer(t, false)
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": page.origin, "allowedHeaders": []string{"content-type"}}})
	px := startProxy(t, srv.url)
	res := br.open(t, page.url(px.url, map[string]any{"extraHeaders": map[string]string{"x-token": "abc"}}))
	wantBrowserBlocked(t, res, `Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response`)
	expectWire(t, px, "the OPTIONS preflight answered 204", httpLine("OPTIONS", 204, "EIO=4"))
	expectFault(t, px, faultWant{catalog: []string{"B3"}, code: []string{"cors_preflight_header_refused"}, summary: []string{`x-token`, `content-type`},
		fix: []string{regexp.QuoteMeta(`allowedHeaders: ["x-token"]`), regexp.QuoteMeta(`-H "Origin: ` + page.origin + `"`)}})
	expectOnlyFaults(t, px, "B3")
}

// The same page with a correct cors option (its origin, credentials,
// headers reflected): cookie, preflight, polling and the upgrade all pass,
// and sioproxy must not raise any fault.
func healthyCORS(t *testing.T, br *browser) {
	page := newPageServer(t, true)
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": page.origin, "credentials": true}})
	px := startProxy(t, srv.url)
	res := br.open(t, page.url(px.url, map[string]any{"withCredentials": true, "extraHeaders": map[string]string{"x-token": "abc"}}, "upgrade"))
	if !res.Result.Connected {
		t.Fatalf("a correctly configured cross-origin page should connect, got %s\nconsole: %q\nfailed: %q", &res.Result, res.Console, res.Failed)
	}
	if res.Result.Transport != "websocket" {
		t.Errorf("the page should have upgraded to websocket, transport %q", res.Result.Transport)
	}
	expectWire(t, px, "the preflight answered 204", httpLine("OPTIONS", 204, "EIO=4"))
	expectNoFaults(t, px, res.Result.Sid)
}

// wantBrowserBlocked: the page got connect_error "xhr poll error" with
// status 0 (the browser hid the response), and Chromium's console says
// why, matching why (so the scenario is the misconfiguration it claims).
func wantBrowserBlocked(t *testing.T, res *pageResult, why string) {
	t.Helper()
	r := &res.Result
	if r.ConnectError == nil {
		t.Fatalf("the browser should have blocked the connection, got %s\nconsole: %q", r, res.Console)
	}
	if r.ConnectError.Message != "xhr poll error" || string(r.ConnectError.Description) != "0" {
		t.Errorf("connect_error %q description %s, want \"xhr poll error\" with 0 (a CORS block hides the status)", r.ConnectError.Message, r.ConnectError.Description)
	}
	re := regexp.MustCompile(`blocked by CORS policy: .*` + why)
	for _, l := range res.Console {
		if re.MatchString(l) {
			return
		}
	}
	t.Errorf("Chromium's console does not say /%s/; console %q, failed requests %q", re, res.Console, res.Failed)
}

// ---- the page origin -------------------------------------------------------

// pageServer serves e2e/browser/page.html and the socket.io client bundle
// from its own origin.
type pageServer struct {
	*httptest.Server
	origin string // e.g. http://127.0.0.1:41234
}

func newPageServer(t *testing.T, setCookie bool) *pageServer {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(e2eDir, "browser", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(e2eDir, "node_modules", "socket.io-client", "dist", "socket.io.min.js")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		cfg := r.URL.Query().Get("cfg")
		if !json.Valid([]byte(cfg)) {
			http.Error(w, "bad cfg", http.StatusBadRequest)
			return
		}
		if setCookie {
			http.SetCookie(w, &http.Cookie{Name: "app_session", Value: "e2e", Path: "/", SameSite: http.SameSiteLaxMode})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		// "</" cannot end the JSON script element early.
		fmt.Fprint(w, strings.Replace(string(tmpl), "__PAGE_CONFIG__", strings.ReplaceAll(cfg, "</", `<\/`), 1))
	})
	mux.HandleFunc("GET /socket.io.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, bundle)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return &pageServer{Server: s, origin: s.URL}
}

// url is the page address that makes the page connect to target with the
// socket.io client options opts; flags: "upgrade" waits for WebSocket.
func (p *pageServer) url(target string, opts map[string]any, flags ...string) string {
	cfg := map[string]any{"url": target, "opts": opts}
	for _, f := range flags {
		cfg[f] = true
	}
	b, _ := json.Marshal(cfg)
	return p.origin + "/?cfg=" + neturl.QueryEscape(string(b))
}

// ---- the browser -------------------------------------------------------------

// browser is one headless Chromium driven by node/fault-browser.js,
// shared by the subtests of TestFaultsBrowser (each page gets a fresh
// context).
type browser struct {
	p    *proc
	mu   sync.Mutex
	next int
}

// pageResult is what the page reported and what Chromium logged.
type pageResult struct {
	ID      string      `json:"id"`
	Result  faultResult `json:"result"`
	Console []string    `json:"console"`
	Failed  []string    `json:"failed"`
	Error   string      `json:"error"`
}

// chromiumPath is Debian's chromium unless SIOPROXY_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("SIOPROXY_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

var playwrightOnce sync.Once

// startBrowser launches Chromium, or fails the test when it is missing:
// the CORS faults can only be shown by a browser, so a machine without one
// must not pass silently. SIOPROXY_SKIP_BROWSER=1 skips instead.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if os.Getenv("SIOPROXY_SKIP_BROWSER") == "1" {
		t.Skip("SIOPROXY_SKIP_BROWSER=1: not running the headless Chromium scenarios")
	}
	exe := chromiumPath()
	if _, err := exec.LookPath(exe); err != nil {
		t.Fatalf("Chromium is needed for the CORS scenarios but %s is missing (%v): apt-get install chromium (or set SIOPROXY_SKIP_BROWSER=1 to skip them)", exe, err)
	}
	// node_modules may predate playwright-core in package.json; TestMain
	// only checks for socket.io.
	playwrightOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = e2eDir
		if out, err := runWithTimeout(cmd, buildTimeout); err != nil {
			t.Logf("npm ci for playwright-core failed: %v\n%s", err, out)
		}
	})
	b, _ := json.Marshal(map[string]string{"executable": exe})
	p := startProc(t, "fault-browser.js", e2eDir, nodeBin, filepath.Join("node", "fault-browser.js"), string(b))
	ok := p.stdout.waitFor(startTimeout, func(lines []string) bool {
		for _, l := range lines {
			if strings.Contains(l, `"ready":true`) {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("Chromium (%s) did not start within %v\n%s", exe, startTimeout, p.describe())
	}
	return &browser{p: p}
}

// open loads url in a fresh browser context and waits for the page's
// result.
func (b *browser) open(t *testing.T, url string) *pageResult {
	t.Helper()
	b.mu.Lock()
	b.next++
	id := fmt.Sprintf("page-%d", b.next)
	job, _ := json.Marshal(map[string]any{"id": id, "url": url, "timeout": (clientTimeout - 10*time.Second).Milliseconds()})
	_, err := b.p.stdin.Write(append(job, '\n'))
	b.mu.Unlock()
	if err != nil {
		t.Fatalf("fault-browser.js: %v\n%s", err, b.p.describe())
	}
	var res *pageResult
	ok := b.p.stdout.waitFor(clientTimeout, func(lines []string) bool {
		for _, l := range lines {
			var r pageResult
			if json.Unmarshal([]byte(l), &r) == nil && r.ID == id {
				res = &r
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("the browser gave no result for %s within %v\n%s", url, clientTimeout, b.p.describe())
	}
	if res.Error != "" {
		t.Fatalf("the browser failed on %s: %s\nconsole: %q\nfailed requests: %q", url, res.Error, res.Console, res.Failed)
	}
	return res
}
