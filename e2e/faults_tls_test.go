package e2e

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/event"
)

// TestFaultsUpstreamTLS: a socket.io server behind HTTPS with a bad
// certificate, generated here. sioproxy must classify the verification
// failure (FAULTS.md I3), and --upstream-ca must let the same traffic
// through with no fault at all.
func TestFaultsUpstreamTLS(t *testing.T) {
	needProxy(t)
	dir := t.TempDir()
	ca, err := certs.NewCA("sioproxy e2e test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issue := func(name string, parent *certs.CA, spec certs.LeafSpec) (certFile, keyFile string) {
		c, err := certs.Issue(parent, spec)
		if err != nil {
			t.Fatalf("%s certificate: %v", name, err)
		}
		return writePair(t, dir, name, c)
	}
	selfCert, selfKey := issue("self-signed", nil, certs.LeafSpec{Hosts: []string{"127.0.0.1"}})
	expCert, expKey := issue("expired", ca, certs.LeafSpec{Hosts: []string{"127.0.0.1"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	otherCert, otherKey := issue("wrong-host", ca, certs.LeafSpec{Hosts: []string{"other.example"}})
	goodCert, goodKey := issue("valid", ca, certs.LeafSpec{Hosts: []string{"127.0.0.1"}})

	for _, sc := range []struct {
		name       string
		cert, key  string
		proxyFlags []string
		// kind: the classification that code or summary must name; ""
		// means the client connects and no fault is reported.
		kind  string
		codes []string // acceptable fault codes
	}{
		// Self-signed and unknown to sioproxy: unknown authority.
		{name: "self-signed", cert: selfCert, key: selfKey, kind: `self[-_ ]?signed|unknown[-_ ]?(authority|ca)`, codes: []string{"tls_upstream_self_signed", "tls_upstream_unknown_authority"}},
		// Trusted CA (so only the dates are wrong).
		{name: "expired", cert: expCert, key: expKey, proxyFlags: []string{"--upstream-ca", caFile}, kind: `expired`, codes: []string{"tls_upstream_expired"}},
		// Trusted CA, but issued for other.example, not 127.0.0.1.
		{name: "wrong-host", cert: otherCert, key: otherKey, proxyFlags: []string{"--upstream-ca", caFile}, kind: `host`, codes: []string{"tls_upstream_hostname"}},
		// The fixes: the self-signed certificate itself, or the CA, given
		// with --upstream-ca.
		{name: "self-signed-with-upstream-ca", cert: selfCert, key: selfKey, proxyFlags: []string{"--upstream-ca", selfCert}},
		{name: "ca-signed-with-upstream-ca", cert: goodCert, key: goodKey, proxyFlags: []string{"--upstream-ca", caFile}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			srv := startTLSServer(t, sc.cert, sc.key)
			px := startProxy(t, srv.url, sc.proxyFlags...)
			r := runFaultClient(t, px.url, "connect", map[string]any{"upgrade": true})
			if sc.kind == "" {
				if !r.Connected {
					t.Fatalf("with %v the client should connect through sioproxy, got %s\n%s", sc.proxyFlags, r, px.describe())
				}
				if r.Transport != "websocket" {
					t.Errorf("the client should have upgraded to websocket over the TLS upstream, transport %q", r.Transport)
				}
				expectNoFaults(t, px, r.Sid)
				return
			}
			wantConnectError(t, r, `xhr poll error`)
			expectWire(t, px, "the handshake failing upstream on the certificate (502 or an x509 error)", func(e event.Event) bool {
				return httpLine("GET", 0, "EIO=4")(e) && (e.Status == 502 || strings.Contains(e.Error, "x509"))
			})
			f, _ := expectFault(t, px, faultWant{catalog: []string{"I3"}, code: sc.codes, summary: []string{regexp.QuoteMeta(hostOf(srv.url)), `\b502\b`}})
			if f != nil {
				if !matchI(sc.kind, f.Fault.Code+" "+f.Fault.Summary) {
					t.Errorf("I3 should classify the failure as /%s/ in its code or summary: code %q, summary %q", sc.kind, f.Fault.Code, f.Fault.Summary)
				}
			}
			expectOnlyFaults(t, px, "I3")
		})
	}
}

// writePair writes a certificate chain and its key as PEM files.
func writePair(t *testing.T, dir, name string, c *tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := certs.PEM(c)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// startTLSServer runs server.js over HTTPS (node/fault-server.js).
func startTLSServer(t *testing.T, certFile, keyFile string) *nodeServer {
	t.Helper()
	return startHTTPSServer(t, certFile, keyFile, nil)
}
