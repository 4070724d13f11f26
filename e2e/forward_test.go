package e2e

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/recordings"
)

// Forward mode (issue 7): clients that cannot be repointed use sioproxy
// as their HTTP proxy, and sioproxy intercepts their HTTPS with its own
// CA. The upstream is a real socket.io server behind HTTPS with a
// certificate from a test CA that sioproxy is given with --upstream-ca.

// forwardSetup is an HTTPS socket.io server and a forward sioproxy in
// front of it, with the sioproxy CA in its own directory.
type forwardSetup struct {
	srv    *nodeServer
	px     *sioproxy
	caFile string // sioproxy's CA certificate, for clients to trust
	url    string // the server's URL as clients use it
}

func newForwardSetup(t *testing.T, serverCfg map[string]any, proxyFlags ...string) *forwardSetup {
	t.Helper()
	needProxy(t)
	dir := t.TempDir()
	upCA, err := certs.NewCA("sioproxy e2e upstream CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upCAFile := filepath.Join(dir, "upstream-ca.pem")
	if err := os.WriteFile(upCAFile, upCA.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, err := certs.Issue(upCA, certs.LeafSpec{Hosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := writePair(t, dir, "upstream", leaf)
	srv := startHTTPSServer(t, certFile, keyFile, serverCfg)
	caDir := filepath.Join(dir, "sioproxy-ca")
	px := startForwardProxy(t, caDir, append([]string{"--upstream-ca", upCAFile}, proxyFlags...)...)
	caFile := filepath.Join(caDir, certs.CertFile)
	if st, err := os.Stat(filepath.Join(caDir, certs.KeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sioproxy's CA key: %v, mode %v: want a 0600 file", err, st)
	}
	// Clients use the name localhost: https-proxy-agent checks an IP
	// target's certificate against "localhost" (Node's tls.connect default
	// when no servername is given), which a CA-signed leaf for 127.0.0.1
	// does not name; real apps use names anyway.
	return &forwardSetup{srv: srv, px: px, caFile: caFile, url: fmt.Sprintf("https://localhost:%d", srv.port)}
}

// startHTTPSServer runs server.js over HTTPS (fault-server.js) with extra
// server.js options.
func startHTTPSServer(t *testing.T, certFile, keyFile string, extra map[string]any) *nodeServer {
	t.Helper()
	cfg := map[string]any{"port": 0, "tls": map[string]string{"cert": certFile, "key": keyFile}}
	for k, v := range extra {
		cfg[k] = v
	}
	return startNode(t, "fault-server.js (https)", "fault-server.js", cfg, "https")
}

// startForwardProxy runs sioproxy --mode forward --json and waits until it
// listens.
func startForwardProxy(t *testing.T, caDir string, extra ...string) *sioproxy {
	t.Helper()
	argv := append([]string{sioproxyBin, "--mode", "forward", "--listen", "127.0.0.1:0", "--json", "--binary", "full", "--ca-dir", caDir}, extra...)
	return runSioproxy(t, "sioproxy --mode forward", argv)
}

// forwardResult is forward-client.js's (and the browser page's) result.
type forwardResult struct {
	Connected    bool            `json:"connected"`
	Sid          string          `json:"sid"`
	Transport    string          `json:"transport"`
	Ack          json.RawMessage `json:"ack"`
	Error        string          `json:"error"`
	ConnectError *struct {
		Message     string          `json:"message"`
		Description json.RawMessage `json:"description"`
	} `json:"connect_error"`
}

// runForwardClient runs forward-client.js through the proxy; caFile ""
// runs it without trusting sioproxy's CA.
func runForwardClient(t *testing.T, fs *forwardSetup, caFile string) *forwardResult {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"url": fs.url, "proxy": fs.px.url, "upgrade": true,
		"timeout": (clientTimeout - 10*time.Second).Milliseconds()})
	env := []string{"/usr/bin/env", "-u", "NODE_EXTRA_CA_CERTS", "-u", "HTTPS_PROXY", "-u", "HTTP_PROXY", "-u", "https_proxy", "-u", "http_proxy"}
	if caFile != "" {
		env = append(env, "NODE_EXTRA_CA_CERTS="+caFile)
	}
	p := startProc(t, "forward-client.js", e2eDir, append(env, nodeBin, filepath.Join("node", "forward-client.js"), string(b))...)
	if err := p.wait(clientTimeout); err != nil {
		t.Fatalf("forward-client.js: %v\n%s\n%s", err, p.describe(), fs.px.describe())
	}
	for _, l := range p.stdout.all() {
		var m struct {
			Result *forwardResult `json:"result"`
		}
		if json.Unmarshal([]byte(l), &m) == nil && m.Result != nil {
			return m.Result
		}
	}
	t.Fatalf("forward-client.js printed no result\n%s", p.describe())
	return nil
}

// expectDecoded waits for the decoded "hello" event and its ack on sid,
// and the session's upgrade to WebSocket, in sioproxy's --json output.
func expectDecoded(t *testing.T, px *sioproxy, sid string) {
	t.Helper()
	want := map[string]func(event.Event) bool{
		"hello EVENT c2s": func(e event.Event) bool {
			return e.Kind == event.KindPacket && e.Sid == sid && e.Type == "EVENT" && e.Event == "hello" && e.Dir == "c2s"
		},
		"its ACK s2c": func(e event.Event) bool {
			return e.Kind == event.KindPacket && e.Sid == sid && e.Type == "ACK" && e.Dir == "s2c" && strings.Contains(string(e.Args), `"event":"hello"`)
		},
		"session upgrade": func(e event.Event) bool {
			return e.Kind == event.KindSession && e.Sid == sid && e.Action == "upgrade"
		},
		"polling handshake 200": func(e event.Event) bool {
			return e.Kind == event.KindHTTP && e.Status == 200 && strings.Contains(e.Path, "/socket.io/?EIO=4")
		},
	}
	missing := func(evs []event.Event) []string {
		var m []string
		for name, cond := range want {
			found := false
			for _, e := range evs {
				if cond(e) {
					found = true
					break
				}
			}
			if !found {
				m = append(m, name)
			}
		}
		return m
	}
	evs, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool { return len(missing(evs)) == 0 })
	if !ok {
		t.Errorf("sioproxy --mode forward did not decode %q for sid %s\n%s\n%s", missing(evs), sid, describeOutput(evs), px.describe())
	}
}

// TestForwardNodeClient: socket.io-client 4.8 with https-proxy-agent, an
// HTTPS server, sioproxy --mode forward in between; the client trusts
// sioproxy's CA through NODE_EXTRA_CA_CERTS.
func TestForwardNodeClient(t *testing.T) {
	fs := newForwardSetup(t, nil)
	r := runForwardClient(t, fs, fs.caFile)
	if !r.Connected || r.Error != "" {
		t.Fatalf("client through the forward proxy: %+v\n%s", r, fs.px.describe())
	}
	if r.Transport != "websocket" {
		t.Errorf("the client should have upgraded to websocket through the proxy, transport %q", r.Transport)
	}
	expectDecoded(t, fs.px, r.Sid)
	expectNoFaults(t, fs.px, r.Sid)
}

// TestForwardClientDistrustsCA: the same client without the CA refuses
// sioproxy's certificate; sioproxy reports I1 with the advice to trust it.
func TestForwardClientDistrustsCA(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	fs := newForwardSetup(t, nil, "--record", rec)
	r := runForwardClient(t, fs, "")
	if r.Connected || r.ConnectError == nil {
		t.Fatalf("a client that does not trust sioproxy's CA connected: %+v", r)
	}
	f, _ := expectFault(t, fs.px, faultWant{catalog: []string{"I1"}, code: []string{"tls_client_rejected_certificate"},
		summary: []string{`certificate`, `localhost`}})
	if f != nil && !strings.Contains(strings.Join(f.Fault.Evidence, " ")+f.Fault.Summary, "sioproxy ca") {
		t.Errorf("I1 should tell the user to trust the CA with 'sioproxy ca': summary %q evidence %q", f.Fault.Summary, f.Fault.Evidence)
	}

	// The observation behind it, from the recording (complete once
	// sioproxy has shut down). Node verifies the certificate after
	// OpenSSL's handshake and then just destroys the socket, so the wire
	// shows a close during the handshake rather than an alert (FAULTS.md
	// I1: "fatal alert … or a close, no HTTP").
	fs.px.stop()
	ev := tlsObsFor(t, rec, "localhost", fs.px)
	if ev.Leg != "client" || ev.Kind != "alert" || (ev.Alert != "" && ev.Alert != "unknown_ca") ||
		ev.Host != "localhost" || !strings.Contains(ev.Detail, "sioproxy ca") {
		t.Errorf("TLS observation %+v: want the client rejecting the certificate for localhost (a close or alert unknown_ca) with the advice to run 'sioproxy ca'", ev)
	}
}

const forwardPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>sioproxy forward mode</title></head>
<body><p id="status">loading</p>
<script src="/socket.io.min.js"></script>
<script>
const status = document.getElementById('status');
window.__settled = false;
const socket = io({ reconnection: false, timeout: 30000 });
function done(result, text) {
  status.textContent = text;
  window.__result = result;
  socket.close();
  setTimeout(() => { window.__settled = true; }, 300);
}
socket.on('connect_error', (err) => done({ connect_error: { message: err.message } }, 'connect_error: ' + err.message));
socket.on('connect', () => {
  const send = () => socket.timeout(30000).emit('hello', { via: 'chromium' }, (err, ...ack) => {
    const transport = socket.io.engine.transport.name;
    if (err) return done({ connected: true, sid: socket.io.engine.id, error: String(err) }, 'ack error: ' + err);
    done({ connected: true, sid: socket.io.engine.id, transport, ack }, 'connected over ' + transport + ', hello acked');
  });
  if (socket.io.engine.transport.name !== 'websocket') socket.io.engine.once('upgrade', send); else send();
});
</script></body></html>
`

// TestForwardBrowser: headless Chromium with --proxy-server pointing at
// sioproxy and trusting its CA loads a page from the HTTPS server; the
// page connects with the browser build of socket.io-client.
func TestForwardBrowser(t *testing.T) {
	if os.Getenv("SIOPROXY_SKIP_BROWSER") == "1" {
		t.Skip("SIOPROXY_SKIP_BROWSER=1: not running the headless Chromium scenarios")
	}
	exe := chromiumPath()
	if _, err := exec.LookPath(exe); err != nil {
		t.Fatalf("Chromium is needed for the forward-mode browser test but %s is missing (%v): apt-get install chromium (or set SIOPROXY_SKIP_BROWSER=1)", exe, err)
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed in e2e/node_modules (npm ci): %v", err)
	}
	static := t.TempDir()
	bundle, err := os.ReadFile(filepath.Join(e2eDir, "node_modules", "socket.io-client", "dist", "socket.io.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(static, "socket.io.min.js"), bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(static, "index.html"), []byte(forwardPage), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := newForwardSetup(t, map[string]any{"static": static})
	spki, err := spkiOf(fs.caFile)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"executable": exe, "proxy": fs.px.url, "spki": spki, "url": fs.url + "/",
		"timeout": (clientTimeout - 10*time.Second).Milliseconds()})
	p := startProc(t, "forward-browser.js", e2eDir, nodeBin, filepath.Join("node", "forward-browser.js"), string(b))
	if err := p.wait(clientTimeout + 30*time.Second); err != nil {
		t.Fatalf("forward-browser.js: %v\n%s\n%s", err, p.describe(), fs.px.describe())
	}
	var res struct {
		Result  *forwardResult `json:"result"`
		Text    string         `json:"text"`
		Console []string       `json:"console"`
		Failed  []string       `json:"failed"`
		Error   string         `json:"error"`
	}
	lines := p.stdout.all()
	if len(lines) == 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &res) != nil {
		t.Fatalf("forward-browser.js printed no result: %q\n%s", lines, p.describe())
	}
	if res.Error != "" || res.Result == nil {
		t.Fatalf("the browser failed: %s\nconsole %q\nfailed %q\n%s", res.Error, res.Console, res.Failed, fs.px.describe())
	}
	r := res.Result
	if !r.Connected || r.Error != "" || r.Transport != "websocket" {
		t.Fatalf("page result %+v, console %q, failed requests %q", r, res.Console, res.Failed)
	}
	if !strings.Contains(res.Text, "connected over websocket, hello acked") {
		t.Errorf("the page shows %q", res.Text)
	}
	expectDecoded(t, fs.px, r.Sid)
	expectNoFaults(t, fs.px, r.Sid)
}

// spkiOf is Chromium's --ignore-certificate-errors-spki-list value for the
// certificate in file.
func spkiOf(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return "", fmt.Errorf("%s: no PEM block", file)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(h[:]), nil
}

// TestForwardBrowserDistrustsCA: Chromium without sioproxy's CA refuses
// the intercepted page (ERR_CERT_AUTHORITY_INVALID), and sioproxy records
// the client's rejection (I1).
func TestForwardBrowserDistrustsCA(t *testing.T) {
	if os.Getenv("SIOPROXY_SKIP_BROWSER") == "1" {
		t.Skip("SIOPROXY_SKIP_BROWSER=1: not running the headless Chromium scenarios")
	}
	exe := chromiumPath()
	if _, err := exec.LookPath(exe); err != nil {
		t.Fatalf("Chromium is needed for the forward-mode browser test but %s is missing (%v)", exe, err)
	}
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	// Only the test server is intercepted: Chromium's own background
	// requests (accounts.google.com…) are tunnelled and cannot add
	// rejections of their own.
	fs := newForwardSetup(t, nil, "--record", rec, "--intercept", "localhost")
	b, _ := json.Marshal(map[string]any{"executable": exe, "proxy": fs.px.url, "url": fs.url + "/",
		"timeout": (clientTimeout - 10*time.Second).Milliseconds()})
	p := startProc(t, "forward-browser.js", e2eDir, nodeBin, filepath.Join("node", "forward-browser.js"), string(b))
	if err := p.wait(clientTimeout + 30*time.Second); err != nil {
		t.Fatalf("forward-browser.js: %v\n%s", err, p.describe())
	}
	lines := p.stdout.all()
	var res struct {
		Error string `json:"error"`
	}
	if len(lines) == 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &res) != nil || !strings.Contains(res.Error, "ERR_CERT_AUTHORITY_INVALID") {
		t.Fatalf("Chromium should refuse sioproxy's certificate with ERR_CERT_AUTHORITY_INVALID, got %q", lines)
	}
	expectFault(t, fs.px, faultWant{catalog: []string{"I1"}, code: []string{"tls_client_rejected_certificate"}, summary: []string{`localhost`}})
	fs.px.stop()
	ev := tlsObsFor(t, rec, "localhost", fs.px)
	// BoringSSL sends certificate_unknown for an untrusted issuer.
	if ev.Leg != "client" || ev.Kind != "alert" || ev.Alert != "certificate_unknown" || !strings.Contains(ev.Detail, "sioproxy ca") {
		t.Errorf("TLS observation %+v: want Chromium's alert certificate_unknown, with the advice to run 'sioproxy ca'", ev)
	}
}

// tlsObsFor reads the first TLS observation about host from a finished
// recording (Chromium also sends its own background requests through the
// proxy).
func tlsObsFor(t *testing.T, rec, host string, px *sioproxy) *obs.TLSEvent {
	t.Helper()
	rd, err := recordings.Open(rec)
	if err != nil {
		t.Fatalf("recording: %v\n%s", err, px.describe())
	}
	for {
		o, err := rd.Next()
		if err != nil {
			t.Fatalf("the recording has no TLS observation about %s (%v)\n%s", host, err, px.describe())
		}
		if o.Kind == obs.KindTLS && o.TLS.Host == host {
			return o.TLS
		}
	}
}
