package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadOrCreateCAStoresKeyPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %04o, want 0600", st.Mode().Perm())
	}
	again, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(ca.Cert) {
		t.Fatal("second load made a new CA instead of reading the stored one")
	}
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := LoadOrCreateCA(dir); err == nil {
		t.Fatal("a world-readable CA key was accepted")
	}
}

func TestLeafVerifiesAndIsCached(t *testing.T) {
	ca, err := NewCA("test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("example.test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{DNSName: "example.test", Roots: pool}); err != nil {
		t.Fatal(err)
	}
	again, _ := ca.Leaf("example.test")
	if again != leaf {
		t.Fatal("leaf not cached")
	}
}

func TestIssueFaultyCertificates(t *testing.T) {
	ca, _ := NewCA("test", time.Hour)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	expired, _ := Issue(ca, LeafSpec{Hosts: []string{"a.test"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	wrongHost, _ := Issue(ca, LeafSpec{Hosts: []string{"b.test"}})
	self, _ := Issue(nil, LeafSpec{Hosts: []string{"a.test"}})
	tests := []struct {
		name string
		cert *tls.Certificate
		want any
	}{
		{"expired", expired, x509.CertificateInvalidError{}},
		{"wrong host", wrongHost, x509.HostnameError{}},
		{"self-signed", self, x509.UnknownAuthorityError{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cert.Leaf.Verify(x509.VerifyOptions{DNSName: "a.test", Roots: pool})
			switch tc.want.(type) {
			case x509.CertificateInvalidError:
				var e x509.CertificateInvalidError
				if !errors.As(err, &e) || e.Reason != x509.Expired {
					t.Fatalf("err = %v, want expired", err)
				}
			case x509.HostnameError:
				var e x509.HostnameError
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want hostname error", err)
				}
			case x509.UnknownAuthorityError:
				var e x509.UnknownAuthorityError
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want unknown authority", err)
				}
			}
		})
	}
}

func BenchmarkLeaf(b *testing.B) {
	ca, _ := NewCA("bench", time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(ca, LeafSpec{Hosts: []string{"example.test"}}); err != nil {
			b.Fatal(err)
		}
	}
}
