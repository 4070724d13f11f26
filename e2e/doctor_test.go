package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/doctor"
	"github.com/sioproxy/sioproxy/internal/certs"
)

// `sioproxy doctor` against real socket.io servers configured the wrong
// ways, each checked for the probe outcomes and FAULTS.md ids a user
// reads in the report, and against healthy ones, which must pass with no
// warning at all.

const doctorOrigin = "http://app.example:5173"

// doctorRun is one `sioproxy doctor --json` run.
type doctorRun struct {
	rep  doctor.Report
	exit int
	out  string
}

func runDoctor(t *testing.T, url string, args ...string) *doctorRun {
	t.Helper()
	needProxy(t)
	argv := append([]string{"doctor", url, "--json"}, args...)
	cmd := exec.Command(sioproxyBin, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(clientTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sioproxy %s did not finish within %v", strings.Join(argv, " "), clientTimeout)
	}
	r := &doctorRun{out: stdout.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if err := json.Unmarshal(stdout.Bytes(), &r.rep); err != nil {
		t.Fatalf("sioproxy %s: exit %d, output is not the JSON report: %v\nstdout: %s\nstderr: %s", strings.Join(argv, " "), r.exit, err, stdout.String(), stderr.String())
	}
	if r.exit != r.rep.Exit {
		t.Errorf("exit status %d, the report says %d", r.exit, r.rep.Exit)
	}
	return r
}

func (r *doctorRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d, most likely: %s\n", r.exit, r.rep.MostLikely)
	for _, l := range r.rep.Layers {
		for _, p := range l.Probes {
			fmt.Fprintf(&b, "  %s %s/%s [%s %s]: %s\n", p.Status, l.Name, p.Name, p.Fault, p.Code, p.Summary)
			if p.Status == doctor.Fail || p.Status == doctor.Warn {
				fmt.Fprintf(&b, "      request: %s\n      response: %s\n", p.Request, p.Response)
			}
		}
	}
	return b.String()
}

// want checks one probe's outcome, FAULTS.md id and (if given) code.
func (r *doctorRun) want(t *testing.T, layer, name string, st doctor.Status, fault, code string) *doctor.Probe {
	t.Helper()
	p := r.rep.Probe(layer, name)
	if p == nil {
		t.Fatalf("no probe %s/%s in the report\n%s", layer, name, r)
	}
	if p.Status != st || p.Fault != fault || (code != "" && p.Code != code) {
		t.Fatalf("probe %s/%s: %s [%s %s], want %s [%s %s]\n%s", layer, name, p.Status, p.Fault, p.Code, st, fault, code, r)
	}
	return p
}

// wantExit checks the exit status and that the first layer of the report
// is the one the headline blames.
func (r *doctorRun) wantExit(t *testing.T, exit int, topLayer string) {
	t.Helper()
	if r.exit != exit {
		t.Fatalf("exit %d, want %d\n%s", r.exit, exit, r)
	}
	if topLayer != "" && (len(r.rep.Layers) == 0 || r.rep.Layers[0].Name != topLayer) {
		t.Fatalf("the report should start with layer %q\n%s", topLayer, r)
	}
	if exit == 2 && !strings.Contains(r.rep.MostLikely, "") {
		t.Fatalf("no headline\n%s", r)
	}
}

// wantClean: a healthy server passes with no warning and no failure.
func (r *doctorRun) wantClean(t *testing.T) {
	t.Helper()
	for _, l := range r.rep.Layers {
		for _, p := range l.Probes {
			if p.Status == doctor.Warn || p.Status == doctor.Fail {
				t.Errorf("healthy server: %s/%s is %s: %s", l.Name, p.Name, p.Status, p.Summary)
			}
		}
	}
	if r.exit != 0 || r.rep.MostLikely != "" {
		t.Fatalf("healthy server: exit %d, most likely %q\n%s", r.exit, r.rep.MostLikely, r)
	}
}

func TestDoctorHealthy(t *testing.T) {
	needProxy(t)
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		r := runDoctor(t, srv.url)
		r.wantClean(t)
		r.want(t, doctor.LayerWebSocket, "upgrade after polling", doctor.Pass, "", "")
		r.want(t, doctor.LayerNamespace, "CONNECT /", doctor.Pass, "", "")
		// pingInterval 25 s: the quick run does not wait for it.
		r.want(t, doctor.LayerHeartbeat, "heartbeat", doctor.Skip, "", "")
	})
	t.Run("everything", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{
			"pingInterval": 1500,
			"cors":         map[string]any{"origin": []string{doctorOrigin}, "credentials": true, "allowedHeaders": []string{"x-token"}},
			"namespaces":   []map[string]any{{"name": "/admin", "token": "secret"}},
		})
		r := runDoctor(t, srv.url, "--origin", doctorOrigin, "--header", "X-Token: abc", "--nsp", "/admin", "--auth", `{"token":"secret"}`, "--slow", "--write")
		r.wantClean(t)
		for _, n := range []string{"handshake GET", "POST", "preflight", "origin reflection"} {
			r.want(t, doctor.LayerCORS, n, doctor.Pass, "", "")
		}
		r.want(t, doctor.LayerNamespace, "CONNECT /admin", doctor.Pass, "", "")
		r.want(t, doctor.LayerHeartbeat, "heartbeat", doctor.Pass, "", "")
		r.want(t, doctor.LayerHeartbeat, "intermediary timeout", doctor.Pass, "", "")
		r.want(t, doctor.LayerLimits, "maxPayload", doctor.Pass, "H1", "payload_too_large")
		r.want(t, doctor.LayerAffinity, "6 parallel sessions", doctor.Pass, "", "")
	})
	t.Run("eio3-allowed", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"allowEIO3": true})
		r := runDoctor(t, srv.url, "--eio", "3")
		r.wantClean(t)
		r.want(t, doctor.LayerEngine, "polling handshake (EIO=3)", doctor.Pass, "", "")
		r.want(t, doctor.LayerWebSocket, "upgrade after polling", doctor.Pass, "", "")
		r.want(t, doctor.LayerHeartbeat, "heartbeat", doctor.Pass, "", "")
	})
	t.Run("custom-path-given", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"path": "/custom"})
		runDoctor(t, srv.url, "--path", "/custom").wantClean(t)
	})
}

func TestDoctorCORS(t *testing.T) {
	needProxy(t)
	for _, sc := range []struct {
		name  string
		cors  any
		probe string
		st    doctor.Status
		fault string
		code  string
		exit  int
	}{
		// CORS is off by default since v3: no header at all.
		{"no-cors", nil, "handshake GET", doctor.Fail, "B1", "cors_allow_origin_missing", 2},
		// Another origin configured as a string: the cors module sends it.
		{"wrong-origin", map[string]any{"origin": "http://other.example"}, "handshake GET", doctor.Fail, "B2", "cors_origin_mismatch", 2},
		// Listed origins without ours: the cors module omits the header.
		{"origin-not-listed", map[string]any{"origin": []string{"http://other.example"}}, "handshake GET", doctor.Fail, "B1", "cors_allow_origin_missing", 2},
		{"credentials-with-star", map[string]any{"origin": "*", "credentials": true}, "handshake GET", doctor.Fail, "B2", "cors_credentials_wildcard", 2},
		// origin: true reflects any origin; with credentials, a security hole.
		{"reflect-with-credentials", map[string]any{"origin": true, "credentials": true}, "origin reflection", doctor.Warn, "B2", "cors_origin_mismatch", 1},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			cfg := map[string]any{}
			if sc.cors != nil {
				cfg["cors"] = sc.cors
			}
			srv := startServer(t, cfg)
			r := runDoctor(t, srv.url, "--origin", doctorOrigin)
			p := r.want(t, doctor.LayerCORS, sc.probe, sc.st, sc.fault, sc.code)
			r.wantExit(t, sc.exit, doctor.LayerCORS)
			if !strings.Contains(p.Request, "Origin: ") {
				t.Errorf("the request should show the Origin sent: %s", p.Request)
			}
			if sc.st == doctor.Fail && !strings.Contains(p.Fix, doctorOrigin) {
				t.Errorf("the fix should name the origin: %s", p.Fix)
			}
		})
	}
	// engine.io's io cookie as an affinity cookie, seen from a page on
	// another site: SameSite=Lax never rides a cross-site XHR (B4).
	t.Run("cookie-samesite-lax", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{
			"cors":   map[string]any{"origin": []string{doctorOrigin}, "credentials": true},
			"cookie": map[string]any{"name": "io", "sameSite": "lax"},
		})
		r := runDoctor(t, srv.url, "--origin", doctorOrigin)
		p := r.want(t, doctor.LayerAffinity, "handshake cookies", doctor.Warn, "B4", "cookie_not_sent_back")
		r.wantExit(t, 1, doctor.LayerAffinity)
		if !strings.Contains(p.Summary, "SameSite=Lax") || !strings.Contains(p.Fix, "SameSite=None; Secure") {
			t.Errorf("summary %q, fix %q", p.Summary, p.Fix)
		}
	})
	t.Run("cookie-without-credentials", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{
			"cors":   map[string]any{"origin": []string{doctorOrigin}},
			"cookie": map[string]any{"name": "io", "sameSite": "none", "secure": true},
		})
		r := runDoctor(t, srv.url, "--origin", doctorOrigin)
		r.want(t, doctor.LayerAffinity, "handshake cookies", doctor.Warn, "B4", "cookie_not_sent_back")
	})
	t.Run("preflight-no-cors", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		r := runDoctor(t, srv.url, "--origin", doctorOrigin, "--header", "Authorization: Bearer x")
		r.want(t, doctor.LayerCORS, "preflight", doctor.Fail, "B3", "cors_preflight_no_cors")
	})
	t.Run("preflight-header-refused", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"cors": map[string]any{"origin": []string{doctorOrigin}, "allowedHeaders": []string{"x-other"}}})
		r := runDoctor(t, srv.url, "--origin", doctorOrigin, "--header", "X-Token: abc")
		p := r.want(t, doctor.LayerCORS, "preflight", doctor.Fail, "B3", "cors_preflight_header_refused")
		if !strings.Contains(p.Summary, "x-token") {
			t.Errorf("the summary should name the refused header: %s", p.Summary)
		}
	})
}

func TestDoctorHandshake(t *testing.T) {
	needProxy(t)
	t.Run("websocket-only-server", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"transports": []string{"websocket"}, "pingInterval": 1000, "perMessageDeflate": true})
		r := runDoctor(t, srv.url)
		p := r.want(t, doctor.LayerEngine, "polling handshake (EIO=4)", doctor.Fail, "A", "handshake_transport_unknown")
		r.wantExit(t, 2, doctor.LayerEngine)
		if !strings.Contains(p.Fix, "--transports websocket") {
			t.Errorf("fix %q", p.Fix)
		}
		// Checked as WebSocket-only clients connect: clean, with the
		// heartbeat over the WebSocket and compression accepted.
		r = runDoctor(t, srv.url, "--transports", "websocket", "--origin", doctorOrigin)
		r.wantClean(t)
		r.want(t, doctor.LayerEngine, "websocket handshake (EIO=4)", doctor.Pass, "", "")
		r.want(t, doctor.LayerHeartbeat, "heartbeat", doctor.Pass, "", "")
		if p := r.want(t, doctor.LayerWebSocket, "permessage-deflate", doctor.Pass, "", ""); !strings.Contains(p.Summary, "accepted (") {
			t.Errorf("permessage-deflate should be accepted: %s", p.Summary)
		}
	})
	t.Run("allow-request-refusing", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"refuseRequests": true})
		r := runDoctor(t, srv.url)
		p := r.want(t, doctor.LayerEngine, "polling handshake (EIO=4)", doctor.Fail, "A", "handshake_forbidden")
		r.wantExit(t, 2, doctor.LayerEngine)
		if !strings.Contains(p.Response, "403") || !strings.Contains(p.Summary, "refused by allowRequest") {
			t.Errorf("should show the 403 and allowRequest's reason: %s / %s", p.Summary, p.Response)
		}
	})
	t.Run("eio3-off", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		r := runDoctor(t, srv.url, "--eio", "3")
		p := r.want(t, doctor.LayerEngine, "polling handshake (EIO=3)", doctor.Fail, "E1", "eio3_client_rejected")
		r.wantExit(t, 2, doctor.LayerEngine)
		if !strings.Contains(p.Fix, "allowEIO3: true") || !strings.Contains(p.Response, `"code":5`) {
			t.Errorf("fix %q, response %q", p.Fix, p.Response)
		}
		// The v4 handshake still works: the server is fine for v3+ clients.
		r.want(t, doctor.LayerEngine, "polling handshake (EIO=4)", doctor.Pass, "", "")
	})
	t.Run("v2-server", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"version": 2})
		r := runDoctor(t, srv.url)
		r.want(t, doctor.LayerEngine, "polling handshake (EIO=4)", doctor.Fail, "E2", "v2_server")
		r.wantExit(t, 2, doctor.LayerEngine)
		// With the version its clients speak, the 2.x server is healthy.
		runDoctor(t, srv.url, "--eio", "3").wantClean(t)
	})
	t.Run("custom-path", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"path": "/custom"})
		r := runDoctor(t, srv.url)
		p := r.want(t, doctor.LayerEngine, "path", doctor.Fail, "D3", "path_mismatch")
		r.wantExit(t, 2, doctor.LayerEngine)
		if !strings.Contains(p.Summary, "404") {
			t.Errorf("should say what answered instead: %s", p.Summary)
		}
	})
	t.Run("namespace-middleware", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"namespaces": []map[string]any{{"name": "/admin", "token": "secret"}}})
		r := runDoctor(t, srv.url, "--nsp", "/admin", "--auth", `{"token":"wrong"}`)
		p := r.want(t, doctor.LayerNamespace, "CONNECT /admin", doctor.Fail, "G2", "middleware_refused")
		r.wantExit(t, 2, doctor.LayerNamespace)
		if !strings.Contains(p.Summary, `"unauthorized"`) || !strings.Contains(p.Summary, `{"reason":"bad token"}`) {
			t.Errorf("G2 should quote the message and data: %s", p.Summary)
		}
		r = runDoctor(t, srv.url, "--nsp", "/nope")
		r.want(t, doctor.LayerNamespace, "CONNECT /nope", doctor.Fail, "G1", "namespace_invalid")
	})
}

func TestDoctorTLS(t *testing.T) {
	needProxy(t)
	dir := t.TempDir()
	ca, err := certs.NewCA("sioproxy doctor test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issue := func(name string, parent *certs.CA, spec certs.LeafSpec) (string, string) {
		c, err := certs.Issue(parent, spec)
		if err != nil {
			t.Fatal(err)
		}
		return writePair(t, dir, name, c)
	}
	selfCert, selfKey := issue("self", nil, certs.LeafSpec{Hosts: []string{"127.0.0.1"}})
	expCert, expKey := issue("expired", ca, certs.LeafSpec{Hosts: []string{"127.0.0.1"}, NotBefore: now.Add(-50 * time.Minute), NotAfter: now.Add(-10 * time.Minute)})
	t.Run("self-signed", func(t *testing.T) {
		t.Parallel()
		srv := startHTTPSServer(t, selfCert, selfKey, nil)
		r := runDoctor(t, srv.url)
		r.want(t, doctor.LayerNetwork, "certificate chain", doctor.Fail, "I1", "tls_upstream_self_signed")
		r.want(t, doctor.LayerNetwork, "certificate dates", doctor.Pass, "", "")
		r.wantExit(t, 2, doctor.LayerNetwork)
		// The rest still ran, unverified.
		r.want(t, doctor.LayerWebSocket, "upgrade after polling", doctor.Pass, "", "")
		// Given the certificate as a root, all is well.
		runDoctor(t, srv.url, "--ca", selfCert).wantClean(t)
		// A plain http:// URL on the TLS port (I2).
		r = runDoctor(t, strings.Replace(srv.url, "https://", "http://", 1))
		r.want(t, doctor.LayerNetwork, "plain HTTP on a TLS port", doctor.Fail, "I2", "")
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		srv := startHTTPSServer(t, expCert, expKey, nil)
		r := runDoctor(t, srv.url, "--ca", caFile)
		p := r.want(t, doctor.LayerNetwork, "certificate dates", doctor.Fail, "I1", "tls_upstream_expired")
		r.want(t, doctor.LayerNetwork, "certificate chain", doctor.Pass, "", "")
		r.wantExit(t, 2, doctor.LayerNetwork)
		if !strings.Contains(p.Summary, "expired on") {
			t.Errorf("summary %q", p.Summary)
		}
		// --insecure: the same problem as a warning.
		r = runDoctor(t, srv.url, "--ca", caFile, "--insecure")
		r.want(t, doctor.LayerNetwork, "certificate dates", doctor.Warn, "I1", "tls_upstream_expired")
		r.wantExit(t, 1, doctor.LayerNetwork)
	})
	t.Run("tls-url-on-plain-port", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		r := runDoctor(t, strings.Replace(srv.url, "http://", "https://", 1))
		r.want(t, doctor.LayerNetwork, "TLS handshake", doctor.Fail, "I2", "tls_upstream_plain_port")
		r.wantExit(t, 2, doctor.LayerNetwork)
		if len(r.rep.Layers) != 1 {
			t.Errorf("nothing above a failed TLS handshake should run\n%s", r)
		}
	})
}

// nginx configurations for the intermediary faults. %[1]s is the prefix
// directory, %[2]d the port nginx listens on, %[3]s the upstream servers.
const doctorNginxConf = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  client_max_body_size 10m;
  upstream app {
    %[4]s
    %[3]s
  }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:%[2]d;
    location / {
      proxy_pass http://app;
      %[5]s
    }
  }
}
`

const nginxUpgrade = `proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;`

// startDoctorNginx runs nginx in front of the servers with the location
// directives given, and returns its URL.
func startDoctorNginx(t *testing.T, upstreamExtra, location string, srvs ...*nodeServer) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("CI must provide nginx (.ci/test installs it)")
			}
			t.Skip("needs nginx (apt-get install nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	var servers strings.Builder
	for _, s := range srvs {
		fmt.Fprintf(&servers, "server 127.0.0.1:%d;\n    ", s.port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(doctorNginxConf, dir, port, servers.String(), upstreamExtra, location)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "nginx", dir, bin, "-p", dir, "-c", conf)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if p.exited() || time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s: %v\nerror.log: %s\n%s", addr, err, log, p.describe())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDoctorIntermediaries(t *testing.T) {
	needProxy(t)
	t.Run("nginx-without-upgrade-headers", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		url := startDoctorNginx(t, "", "", srv)
		r := runDoctor(t, url)
		p := r.want(t, doctor.LayerWebSocket, "upgrade after polling", doctor.Fail, "D1", "upgrade_headers_stripped")
		r.want(t, doctor.LayerWebSocket, "WebSocket-only", doctor.Fail, "D1", "upgrade_headers_stripped")
		r.wantExit(t, 2, doctor.LayerWebSocket)
		if !strings.Contains(p.Fix, "proxy_set_header Upgrade") {
			t.Errorf("the fix should give nginx's directives: %s", p.Fix)
		}
		// The same nginx with the headers: clean.
		url = startDoctorNginx(t, "", nginxUpgrade, srv)
		runDoctor(t, url).wantClean(t)
	})
	t.Run("round-robin-two-nodes", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, nil), startServer(t, nil)
		url := startDoctorNginx(t, "", nginxUpgrade, a, b)
		r := runDoctor(t, url)
		p := r.want(t, doctor.LayerAffinity, "6 parallel sessions", doctor.Fail, "C1", "session_unknown_live")
		r.want(t, doctor.LayerAffinity, "next request with the sid", doctor.Fail, "C1", "session_unknown_live")
		r.wantExit(t, 2, doctor.LayerAffinity)
		if !strings.Contains(p.Fix, "ip_hash") || !strings.Contains(p.Response, "Session ID unknown") {
			t.Errorf("fix %q, response %q", p.Fix, p.Response)
		}
		// ip_hash pins each client to one node: clean.
		url = startDoctorNginx(t, "ip_hash;", nginxUpgrade, a, b)
		runDoctor(t, url).wantClean(t)
	})
	t.Run("body-limit-below-max-payload", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, nil)
		url := startDoctorNginx(t, "", nginxUpgrade+"\n      client_max_body_size 500k;", srv)
		r := runDoctor(t, url, "--write")
		p := r.want(t, doctor.LayerLimits, "maxPayload", doctor.Fail, "H1", "payload_too_large")
		r.wantExit(t, 2, doctor.LayerLimits)
		if !strings.Contains(p.Summary, "1000000 B") || !strings.Contains(p.Response, "413") || !strings.Contains(p.Fix, "client_max_body_size") {
			t.Errorf("summary %q, response %q, fix %q", p.Summary, p.Response, p.Fix)
		}
	})
	t.Run("proxy-read-timeout-below-ping-interval", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, map[string]any{"pingInterval": 4000})
		url := startDoctorNginx(t, "", nginxUpgrade+"\n      proxy_read_timeout 1s;", srv)
		r := runDoctor(t, url, "--slow")
		p := r.want(t, doctor.LayerHeartbeat, "intermediary timeout", doctor.Fail, "F2", "poll_cut_by_intermediary")
		r.want(t, doctor.LayerHeartbeat, "heartbeat", doctor.Fail, "F2", "poll_cut_by_intermediary")
		if !strings.Contains(p.Response, "504") || !strings.Contains(p.Fix, "proxy_read_timeout") {
			t.Errorf("should show nginx's 504 and the directive: %s / %s", p.Response, p.Fix)
		}
	})
}

// TestDoctorText: the readable report puts the failing layer on top with
// its headline, and exits 2.
func TestDoctorText(t *testing.T) {
	needProxy(t)
	srv := startServer(t, nil)
	cmd := exec.Command(sioproxyBin, "doctor", srv.url, "--origin", doctorOrigin)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	s := string(out)
	head := "Your problem is most likely: CORS (as a browser at --origin): handshake GET from " + doctorOrigin + " answered without Access-Control-Allow-Origin"
	if !strings.Contains(s, head) {
		t.Fatalf("no headline %q in\n%s", head, s)
	}
	if i, j := strings.Index(s, "FAIL  CORS"), strings.Index(s, "PASS  Network"); i < 0 || j < 0 || i > j {
		t.Fatalf("the CORS layer should come before the passing ones\n%s", s)
	}
	for _, w := range []string{"request:  GET /socket.io/?EIO=4&transport=polling", "Origin: " + doctorOrigin, "[B1]", "fix:      CORS is off by default"} {
		if !strings.Contains(s, w) {
			t.Errorf("report lacks %q\n%s", w, s)
		}
	}
}

// BenchmarkDoctorHealthy is the quick run against a healthy socket.io 4.8
// server on this machine, in-process (the issue's bound: well under 10 s):
// with a 1 s pingInterval the run includes one heartbeat cycle; with the
// default 25 s the heartbeat is skipped.
func BenchmarkDoctorHealthy(b *testing.B) {
	for _, pi := range []int{1000, 25000} {
		b.Run(fmt.Sprintf("pingInterval=%dms", pi), func(b *testing.B) {
			srv := startServer(b, map[string]any{"pingInterval": pi, "cors": map[string]any{"origin": []string{doctorOrigin}}})
			for b.Loop() {
				r, err := doctor.Run(context.Background(), doctor.Options{URL: srv.url, Origin: doctorOrigin})
				if err != nil || r.Exit != 0 {
					b.Fatalf("err %v, exit %d, most likely %q", err, r.Exit, r.MostLikely)
				}
			}
		})
	}
}
