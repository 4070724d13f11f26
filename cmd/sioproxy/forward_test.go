package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/certs"
)

func TestModeFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(config) bool
	}{
		{[]string{"--mode", "forward", "--intercept", "*.example.com", "--intercept", "localhost:3443"}, "",
			func(c config) bool { return c.Mode == "forward" && len(c.Intercept) == 2 }},
		{[]string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, "", func(c config) bool { return c.TLS }},
		{nil, "", func(c config) bool { return c.Mode == "reverse" && !c.TLS }},
		{[]string{"--mode", "sideways"}, `--mode "sideways"`, nil},
		{[]string{"--intercept", "x"}, "--intercept needs --mode forward", nil},
		{[]string{"--mode", "forward", "--intercept", "[x"}, `--intercept "[x"`, nil},
		{[]string{"--tls-key", "k.pem"}, "--tls-cert and --tls-key go together", nil},
		{[]string{"--mode", "forward", "--tls"}, "--tls with --mode forward", nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			c, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(c) {
				t.Fatalf("config %+v err %v", c.modeFlags, err)
			}
		})
	}
}

func TestCACommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	var out, errOut bytes.Buffer
	if err := runCA([]string{"--ca-dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	ca, err := certs.LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, certs.CertFile)
	for _, want := range []string{
		"certificate:  " + file,
		"NODE_EXTRA_CA_CERTS=" + file,
		"update-ca-certificates",
		"certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n sioproxy -i " + file,
		"curl --cacert " + file,
		"--ignore-certificate-errors-spki-list=" + spkiHash(ca.Cert),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	st, err := os.Stat(filepath.Join(dir, certs.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	// A second run shows the same CA.
	var again bytes.Buffer
	if err := runCA([]string{"--ca-dir", dir}, &again, &errOut); err != nil || again.String() != out.String() {
		t.Fatalf("second run differs: %v\n%s", err, again.String())
	}
}

// TestForwardModeRuns starts the command in forward mode and fetches a
// plain HTTP page through it.
func TestForwardModeRuns(t *testing.T) {
	be := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })}
	ln := listenLocal(t)
	go be.Serve(ln)
	defer be.Close()

	dir := t.TempDir()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	out, _ := os.CreateTemp(dir, "out")
	defer out.Close()
	go func() {
		done <- run(ctx, []string{"--mode", "forward", "--listen", addr, "--ca-dir", dir, "--no-tui"}, out, &stderr)
	}()
	proxyURL, _ := url.Parse("http://" + addr)
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}
	defer tr.CloseIdleConnections()
	var body []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + ln.Addr().String() + "/x")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy never answered: %v; stderr %s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || string(body) != "hello" {
		t.Fatalf("exit %d body %q stderr %s", code, body, stderr.String())
	}
	if !strings.Contains(stderr.String(), "listening on http://"+addr+" as a forward proxy") {
		t.Fatalf("stderr %s", stderr.String())
	}
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestTLSLocalhostCertKept: --tls without a certificate generates one for
// localhost, saves it, and serves the same one on the next start.
func TestTLSLocalhostCertKept(t *testing.T) {
	dir := t.TempDir()
	m := modeFlags{Mode: "reverse", TLS: true, CADir: dir}
	var log1, log2 bytes.Buffer
	c1, err := m.serverCert(&log1)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := m.serverCert(&log2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c1.Certificate[0], c2.Certificate[0]) {
		t.Fatalf("a new certificate at every start: users would have to trust it again\n%s%s", log1.String(), log2.String())
	}
	if err := c1.Leaf.VerifyHostname("localhost"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "localhost-key.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", st, err)
	}
	if !strings.Contains(log1.String(), filepath.Join(dir, "localhost.pem")) {
		t.Fatalf("the user is not told where the certificate is: %s", log1.String())
	}
}
