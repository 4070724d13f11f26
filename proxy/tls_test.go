package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

type certSpec struct {
	name     string
	isCA     bool
	notAfter time.Time
	dns      []string
	ips      []net.IP
	parent   *x509.Certificate // nil: self-signed
	parentK  *ecdsa.PrivateKey
}

func makeCert(t testing.TB, s certSpec) (*x509.Certificate, *ecdsa.PrivateKey, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if s.notAfter.IsZero() {
		s.notAfter = time.Now().Add(time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: s.name},
		NotBefore:             s.notAfter.Add(-48 * time.Hour),
		NotAfter:              s.notAfter,
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		IsCA:                  s.isCA,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, parentK := tmpl, key
	if s.parent != nil {
		parent, parentK = s.parent, s.parentK
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentK)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}
}

func tlsBackend(t testing.TB, cert tls.Certificate) *httptest.Server {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Config.ErrorLog = discardLog
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func TestUpstreamTLS(t *testing.T) {
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	ca, caKey, _ := makeCert(t, certSpec{name: "test CA", isCA: true})
	_, _, goodTLS := makeCert(t, certSpec{name: "leaf", ips: loop, parent: ca, parentK: caKey})
	selfC, _, selfTLS := makeCert(t, certSpec{name: "self", ips: loop})
	expC, _, expTLS := makeCert(t, certSpec{name: "expired", ips: loop, notAfter: time.Now().Add(-time.Hour)})
	_, _, wrongHostTLS := makeCert(t, certSpec{name: "other", dns: []string{"other.example"}, parent: ca, parentK: caKey})
	pool := func(cs ...*x509.Certificate) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c)
		}
		return p
	}
	plain := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	tests := []struct {
		name     string
		target   string
		opts     Options
		wantKind string // "" means success
	}{
		{"trusted CA", tlsBackend(t, goodTLS).URL, Options{UpstreamCA: pool(ca)}, ""},
		{"unknown authority", tlsBackend(t, goodTLS).URL, Options{}, "unknown_authority"},
		{"self signed", tlsBackend(t, selfTLS).URL, Options{}, "self_signed"},
		{"expired", tlsBackend(t, expTLS).URL, Options{UpstreamCA: pool(expC)}, "expired"},
		{"wrong host", tlsBackend(t, wrongHostTLS).URL, Options{UpstreamCA: pool(ca)}, "hostname"},
		{"tls on plain port", strings.Replace(plain.URL, "http:", "https:", 1), Options{}, "tls_on_plain"},
		{"insecure proceeds", tlsBackend(t, selfTLS).URL, Options{InsecureUpstream: true}, ""},
		{"self signed trusted", tlsBackend(t, selfTLS).URL, Options{UpstreamCA: pool(selfC)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts, tc.target)
			resp, err := testClient(t).Get(h.url + "/socket.io/?EIO=4&transport=polling")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.wantKind == "" {
				if resp.StatusCode != 200 || string(b) != "secure" {
					t.Fatalf("got %d %q", resp.StatusCode, b)
				}
				return
			}
			wantPrefix := "sioproxy: upstream " + tc.target + " failed TLS (" + tc.wantKind + "): "
			if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(string(b), wantPrefix) {
				t.Fatalf("got %d %q, want 502 %q…", resp.StatusCode, b, wantPrefix)
			}
			ev := h.next(t, obs.KindTLS).TLS
			if ev.Kind != tc.wantKind || ev.Leg != "upstream" || ev.Detail == "" || !strings.Contains(tc.target, ev.Host) {
				t.Fatalf("TLS event %+v, want kind %s", ev, tc.wantKind)
			}
			if ex := h.next(t, obs.KindHTTP).HTTP; ex.ErrKind != "tls" {
				t.Fatalf("exchange ErrKind %q err %q", ex.ErrKind, ex.Err)
			}
		})
	}
}
