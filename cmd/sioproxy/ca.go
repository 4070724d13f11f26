package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sioproxy/sioproxy/internal/certs"
)

// runCA is `sioproxy ca [--ca-dir DIR]`: it creates the interception CA
// if needed and prints where it is and how to trust it.
func runCA(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sioproxy ca", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var m modeFlags
	fs.StringVar(&m.CADir, "ca-dir", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, caUsage)
			return nil
		}
		return usageError{fmt.Errorf("ca: %s (usage: sioproxy ca [--ca-dir DIR])", strings.Replace(err.Error(), " -", " --", 1))}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("ca: unexpected argument %q (usage: sioproxy ca [--ca-dir DIR])", fs.Arg(0))}
	}
	dir, err := m.caDir()
	if err != nil {
		return err
	}
	ca, err := certs.LoadOrCreateCA(dir)
	if err != nil {
		return err
	}
	file := filepath.Join(dir, certs.CertFile)
	fmt.Fprint(stdout, caText(ca.Cert, file))
	return nil
}

// spkiHash is Chromium's --ignore-certificate-errors-spki-list value:
// base64 of the SHA-256 of the SubjectPublicKeyInfo.
func spkiHash(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(h[:])
}

func caText(c *x509.Certificate, file string) string {
	fp := sha256.Sum256(c.Raw)
	hex := make([]string, len(fp))
	for i, b := range fp {
		hex[i] = fmt.Sprintf("%02X", b)
	}
	return fmt.Sprintf(`sioproxy interception CA
  certificate:  %[1]s
  key:          %[2]s (mode 0600; anyone with it can impersonate any site to clients that trust the CA)
  subject:      %[3]s
  valid until:  %[4]s
  SHA-256:      %[5]s
  SPKI SHA-256: %[6]s

Clients must trust this certificate for sioproxy --mode forward to decrypt
their HTTPS and WSS traffic. Trust it only on machines you debug on.

  Node.js:   NODE_EXTRA_CA_CERTS=%[1]s node app.js
  curl:      curl --cacert %[1]s --proxy http://127.0.0.1:8080 https://...
  Debian/Ubuntu system store (curl, wget, Python requests with certifi off):
             sudo cp %[1]s /usr/local/share/ca-certificates/sioproxy.crt
             sudo update-ca-certificates
  Chromium/Chrome (Linux, NSS):
             certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n sioproxy -i %[1]s
             or for a throwaway profile: --ignore-certificate-errors-spki-list=%[6]s
  Firefox:   Settings > Privacy & Security > Certificates > View Certificates >
             Authorities > Import, or certutil -d sql:<profile dir> -A -t C,, -n sioproxy -i %[1]s
  Android:   Settings > Security > Install a certificate > CA certificate
             (apps trust user CAs only if their network security config allows it)

Remove it with: certutil -d sql:$HOME/.pki/nssdb -D -n sioproxy;
sudo rm /usr/local/share/ca-certificates/sioproxy.crt && sudo update-ca-certificates --fresh
`, file, filepath.Join(filepath.Dir(file), certs.KeyFile), c.Subject.CommonName,
		c.NotAfter.UTC().Format("2006-01-02"), strings.Join(hex, ":"), spkiHash(c))
}
