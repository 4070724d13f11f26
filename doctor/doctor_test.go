package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/sioserver"
	"github.com/sioproxy/sioproxy/internal/testnet"
)

const testOrigin = "http://app.test:5173"

// goServer is the project's Go socket.io server with a short heartbeat,
// so the heartbeat probe runs in the quick mode.
func goServer(t testing.TB, opts sioserver.Options, nsps map[string]*sioserver.Namespace) string {
	t.Helper()
	if opts.PingInterval == 0 {
		opts.PingInterval = 300 * time.Millisecond
	}
	srv := sioserver.New(opts)
	srv.Handle("/", &sioserver.Namespace{})
	for n, ns := range nsps {
		srv.Handle(n, ns)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return hs.URL
}

func run(t testing.TB, o Options) *Report {
	t.Helper()
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func describe(r *Report) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

func wantProbe(t *testing.T, r *Report, layer, name string, st Status, fault string) *Probe {
	t.Helper()
	p := r.Probe(layer, name)
	if p == nil {
		t.Fatalf("no probe %s/%s in\n%s", layer, name, describe(r))
	}
	if p.Status != st || p.Fault != fault {
		t.Fatalf("probe %s/%s: %s [%s], want %s [%s]: %s\n%s", layer, name, p.Status, p.Fault, st, fault, p.Summary, describe(r))
	}
	return p
}

func TestHealthyGoServer(t *testing.T) {
	url := goServer(t, sioserver.Options{AllowOrigins: []string{testOrigin}}, nil)
	r := run(t, Options{URL: url, Origin: testOrigin, Slow: true})
	if r.Exit != 0 || r.Status != Pass {
		t.Fatalf("healthy server: status %s exit %d\n%s", r.Status, r.Exit, describe(r))
	}
	for _, l := range r.Layers {
		for _, p := range l.Probes {
			if p.Status == Warn || p.Status == Fail {
				t.Errorf("%s/%s: %s %s", l.Name, p.Name, p.Status, p.Summary)
			}
		}
	}
	wantProbe(t, r, LayerHeartbeat, "heartbeat", Pass, "")
	wantProbe(t, r, LayerHeartbeat, "intermediary timeout", Pass, "")
	wantProbe(t, r, LayerWebSocket, "upgrade after polling", Pass, "")
	wantProbe(t, r, LayerCORS, "handshake GET", Pass, "")
	if !strings.Contains(describe(r), "All checks passed.") {
		t.Errorf("no 'All checks passed.' headline:\n%s", describe(r))
	}
}

func TestMiddlewareRefusal(t *testing.T) {
	url := goServer(t, sioserver.Options{}, map[string]*sioserver.Namespace{
		"/admin": {Auth: func(auth json.RawMessage) (any, error) {
			return map[string]string{"reason": "no token"}, errors.New("not authorized")
		}},
	})
	r := run(t, Options{URL: url, Nsp: "/admin", Auth: json.RawMessage(`{"token":"x"}`)})
	p := wantProbe(t, r, LayerNamespace, "CONNECT /admin", Fail, "G2")
	if !strings.Contains(p.Summary, `"not authorized"`) || !strings.Contains(p.Summary, `{"reason":"no token"}`) {
		t.Errorf("G2 summary should quote the message and data: %s", p.Summary)
	}
	if r.Exit != 2 || r.Layers[0].Name != LayerNamespace || !strings.Contains(r.MostLikely, "G2") {
		t.Errorf("exit %d, top layer %s, most likely %q", r.Exit, r.Layers[0].Name, r.MostLikely)
	}
	r = run(t, Options{URL: url, Nsp: "/nope"})
	wantProbe(t, r, LayerNamespace, "CONNECT /nope", Fail, "G1")
}

func TestCORSMissingOrigin(t *testing.T) {
	url := goServer(t, sioserver.Options{AllowOrigins: []string{"http://other.test"}}, nil)
	r := run(t, Options{URL: url, Origin: testOrigin})
	wantProbe(t, r, LayerCORS, "handshake GET", Fail, "B1")
	wantProbe(t, r, LayerCORS, "POST", Fail, "B1")
	if r.Layers[0].Name != LayerCORS || !strings.HasPrefix(describe(r), "sioproxy doctor") || !strings.Contains(describe(r), "Your problem is most likely: CORS") {
		t.Errorf("CORS should be on top:\n%s", describe(r))
	}
}

func TestNothingListening(t *testing.T) {
	addr := testnet.RefusedAddr(t)
	r := run(t, Options{URL: "http://" + addr})
	wantProbe(t, r, LayerNetwork, "TCP connect", Fail, "")
	if r.Exit != 2 || len(r.Layers) != 1 {
		t.Errorf("only the network layer should be reported, exit 2: %d layers, exit %d", len(r.Layers), r.Exit)
	}
}

// A web app without Engine.IO at the path: a 404 HTML page (D3), with
// hostile bytes that must reach the terminal escaped.
func TestPathNotEngineIO(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		w.Write([]byte("<h1>Not Found\x1b[2J</h1>"))
	}))
	defer hs.Close()
	r := run(t, Options{URL: hs.URL, Path: "/custom"})
	p := wantProbe(t, r, LayerEngine, "path", Fail, "D3")
	if !strings.Contains(p.Fix, "/custom/") || !strings.Contains(p.Fix, "/socket.io/") {
		t.Errorf("the fix should name the paths tried: %s", p.Fix)
	}
	out := describe(r)
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("the body's ESC must be shown escaped:\n%s", out)
	}
}

func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no host", Options{URL: "http://"}, "bad URL"},
		{"ftp", Options{URL: "ftp://x"}, `scheme "ftp"`},
		{"eio", Options{URL: "http://x", EIO: 2}, "bad --eio 2"},
		{"transport", Options{URL: "http://x", Transports: []string{"webtransport"}}, `bad transport "webtransport"`},
		{"auth", Options{URL: "http://x", Auth: json.RawMessage(`[1]`)}, "bad --auth"},
		{"origin", Options{URL: "http://x", Origin: "app.example"}, "bad --origin"},
		{"nsp", Options{URL: "http://x", Nsp: "admin"}, "bad --nsp"},
		{"ca", Options{URL: "http://x", CAFile: "/nonexistent.pem"}, "--ca"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEsc(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a\x1b[31mb":    `a\x1b[31mb`,
		"\xff":          `\xff`,
		"line\nbreak":   `line\nbreak`,
		"rtl\u202eoops": `rtl\u202eoops`,
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkHealthyRun is the whole quick run against a healthy server on
// this machine (the issue's bound: well under 10 s per run): with a short
// pingInterval the run includes one heartbeat cycle; with the default 25 s
// the heartbeat is skipped.
func BenchmarkHealthyRun(b *testing.B) {
	for _, pi := range []time.Duration{300 * time.Millisecond, 25 * time.Second} {
		b.Run("pingInterval="+pi.String(), func(b *testing.B) {
			url := goServer(b, sioserver.Options{AllowOrigins: []string{testOrigin}, PingInterval: pi}, nil)
			for b.Loop() {
				r, err := Run(context.Background(), Options{URL: url, Origin: testOrigin})
				if err != nil || r.Exit != 0 {
					b.Fatalf("err %v exit %d\n%s", err, r.Exit, describe(r))
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	x := &exchange{Method: "GET", Target: "/socket.io/?EIO=4", ReqHdr: http.Header{
		"Authorization": {"Bearer s3cret"},
		"Cookie":        {"io=abc; session=s3cret"},
		"X-Token":       {"visible"},
	}}
	got := x.request()
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "Authorization: Bearer <redacted>") || !strings.Contains(got, "Cookie: io=…; session=…") || !strings.Contains(got, "X-Token: visible") {
		t.Fatalf("request line %q", got)
	}
}

// A WebSocket that opens but whose frames never come back: a buffering
// middlebox (D2).
func TestProbeUnanswered(t *testing.T) {
	srv := sioserver.New(sioserver.Options{})
	srv.Handle("/", &sioserver.Namespace{})
	up := websocket.Upgrader{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("transport") == "websocket" && r.URL.Query().Get("sid") != "" {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	defer srv.Close()
	r := run(t, Options{URL: hs.URL, Timeout: 500 * time.Millisecond})
	p := wantProbe(t, r, LayerWebSocket, "upgrade after polling", Fail, "D2")
	if p.Code != "upgrade_probe_unanswered" || !strings.Contains(p.Response, "→ 2probe") {
		t.Errorf("code %s, response %q", p.Code, p.Response)
	}
}

// A certificate a few days from its end: a warning with the date (I1).
func TestCertificateExpiresSoon(t *testing.T) {
	ca, err := certs.NewCA("doctor test CA", 24*time.Hour*30)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := certs.Issue(ca, certs.LeafSpec{Hosts: []string{"127.0.0.1"}, Validity: 3 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := sioserver.New(sioserver.Options{})
	srv.Handle("/", &sioserver.Namespace{})
	hs := httptest.NewUnstartedServer(srv)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	hs.StartTLS()
	defer hs.Close()
	defer srv.Close()
	r := run(t, Options{URL: hs.URL, CAFile: caFile})
	p := wantProbe(t, r, LayerNetwork, "certificate dates", Warn, "I1")
	if !strings.Contains(p.Summary, "expires in") || r.Exit != 1 {
		t.Errorf("summary %q exit %d\n%s", p.Summary, r.Exit, describe(r))
	}
	wantProbe(t, r, LayerNetwork, "certificate chain", Pass, "")
	wantProbe(t, r, LayerNetwork, "certificate names", Pass, "")
}
