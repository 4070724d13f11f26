// Package certs makes and keeps the certificates sioproxy needs: its own
// interception CA (forward mode), leaf certificates signed by it, and the
// self-signed localhost certificate used when sioproxy listens with TLS and
// the user gave none. Keys are ECDSA P-256: a leaf costs about 0.2 ms to
// sign, where RSA costs 70 ms (DESIGN.md §1b). goproxy's built-in CA is
// never used, because its private key is published.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File names inside the CA directory.
const (
	CertFile = "sioproxy-ca.pem"
	KeyFile  = "sioproxy-ca-key.pem"
)

// DefaultDir is where the CA lives: $XDG_CONFIG_HOME/sioproxy or the
// platform's equivalent (os.UserConfigDir).
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("certs: no config directory: %w", err)
	}
	return filepath.Join(d, "sioproxy"), nil
}

// CA is a certificate authority that signs leaves on demand and caches
// them by host.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	Dir     string // where it is stored, "" if in memory only

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// LoadOrCreateCA loads the CA from dir, creating it (and dir, mode 0700)
// on first use. The key file is written with mode 0600; a key file that
// others can read is refused, so a leaked key is noticed.
func LoadOrCreateCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	if errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist) {
		ca, err := NewCA("sioproxy interception CA", 10*365*24*time.Hour)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("certs: creating %s: %w", dir, err)
		}
		kp, err := ca.KeyPEM()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyPath, kp, 0o600); err != nil {
			return nil, fmt.Errorf("certs: writing %s: %w", keyPath, err)
		}
		if err := os.WriteFile(certPath, ca.CertPEM, 0o644); err != nil {
			return nil, fmt.Errorf("certs: writing %s: %w", certPath, err)
		}
		ca.Dir = dir
		return ca, nil
	}
	if cerr != nil {
		return nil, fmt.Errorf("certs: reading CA certificate: %w", cerr)
	}
	if kerr != nil {
		return nil, fmt.Errorf("certs: reading CA key: %w", kerr)
	}
	if st, err := os.Stat(keyPath); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("certs: %s has mode %04o: the CA key must be private (chmod 600 %s)", keyPath, st.Mode().Perm(), keyPath)
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("certs: %s: %w", dir, err)
	}
	ca.Dir = dir
	return ca, nil
}

// NewCA makes a fresh in-memory CA.
func NewCA(name string, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"sioproxy"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), leaves: map[string]*tls.Certificate{}}, nil
}

// ParseCA reads a CA from PEM.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("invalid CA certificate or key: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("CA key is %T, want ECDSA", pair.PrivateKey)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certificate %q is not a CA", cert.Subject.CommonName)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, leaves: map[string]*tls.Certificate{}}, nil
}

// KeyPEM encodes the private key.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(ca.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// TLSCertificate is the CA as a tls.Certificate (for goproxy's
// TLSConfigFromCA), with Leaf set.
func (ca *CA) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}, PrivateKey: ca.Key, Leaf: ca.Cert}
}

// Leaf returns a certificate for host (a DNS name or an IP), signed by the
// CA, from the cache when it has one that is still valid.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leaves[host]; ok && time.Now().Before(c.Leaf.NotAfter.Add(-time.Hour)) {
		return c, nil
	}
	c, err := Issue(ca, LeafSpec{Hosts: []string{host}, Validity: 30 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	ca.leaves[host] = c
	return c, nil
}

// LeafSpec describes a certificate to issue. Tests use NotBefore/NotAfter
// to make expired certificates and Hosts to make wrong-host ones.
type LeafSpec struct {
	Hosts     []string
	Validity  time.Duration // from now, when NotAfter is zero
	NotBefore time.Time
	NotAfter  time.Time
}

// Issue signs a leaf for spec with parent; a nil parent makes it
// self-signed.
func Issue(parent *CA, spec LeafSpec) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	nb, na := spec.NotBefore, spec.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
	}
	if na.IsZero() {
		v := spec.Validity
		if v == 0 {
			v = 30 * 24 * time.Hour
		}
		na = time.Now().Add(v)
	}
	cn := "sioproxy"
	if len(spec.Hosts) > 0 {
		cn = spec.Hosts[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range spec.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		return nil, fmt.Errorf("certs: signing %v: %w", spec.Hosts, err)
	}
	leaf, _ := x509.ParseCertificate(der)
	chain := [][]byte{der}
	if parent != nil {
		chain = append(chain, parent.Cert.Raw)
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// PEM encodes a certificate chain and its key, for writing test servers'
// files or --tls-cert/--tls-key pairs.
func PEM(c *tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	k, ok := c.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("certs: key is %T, want ECDSA", c.PrivateKey)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// Localhost makes the self-signed certificate sioproxy serves when asked to
// listen with TLS without --tls-cert: valid for localhost, 127.0.0.1, ::1.
func Localhost() (*tls.Certificate, error) {
	return Issue(nil, LeafSpec{Hosts: []string{"localhost", "127.0.0.1", "::1"}, Validity: 7 * 24 * time.Hour})
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}
