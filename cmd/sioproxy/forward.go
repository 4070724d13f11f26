package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy"
	"github.com/sioproxy/sioproxy/recordings"
)

// modeFlags are the flags of forward mode and of TLS listening.
type modeFlags struct {
	Mode      string   // "reverse" or "forward"
	Intercept []string // host[:port] globs intercepted in forward mode
	TLS       bool     // listen with TLS (reverse mode)
	TLSCert   string
	TLSKey    string
	CADir     string // where the interception CA and localhost.pem live
}

const modeUsage = `  --mode MODE           reverse (default: clients connect to sioproxy) or
                        forward (an HTTP proxy: set HTTP_PROXY/HTTPS_PROXY, or
                        Chromium's --proxy-server)
  --intercept PATTERN   forward mode: decrypt CONNECTs to host[:port] matching
                        the glob, repeatable (default: all); others are only
                        tunnelled
  --tls                 listen with TLS (with a generated localhost certificate
                        unless --tls-cert/--tls-key are given)
  --tls-cert FILE       PEM certificate chain to serve (implies --tls)
  --tls-key FILE        its PEM private key
  --ca-dir DIR          where the interception CA is kept (default: the user
                        config dir; see 'sioproxy ca')
`

func (m *modeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.Mode, "mode", "reverse", "")
	fs.Var((*multiFlag)(&m.Intercept), "intercept", "")
	fs.BoolVar(&m.TLS, "tls", false, "")
	fs.StringVar(&m.TLSCert, "tls-cert", "", "")
	fs.StringVar(&m.TLSKey, "tls-key", "", "")
	fs.StringVar(&m.CADir, "ca-dir", "", "")
}

// validate checks the values after parsing; errors name the flag.
func (m *modeFlags) validate() error {
	switch m.Mode {
	case "reverse", "forward":
	default:
		return fmt.Errorf("--mode %q: want reverse or forward", m.Mode)
	}
	for _, p := range m.Intercept {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("--intercept %q: %v", p, err)
		}
	}
	if len(m.Intercept) > 0 && m.Mode != "forward" {
		return fmt.Errorf("--intercept needs --mode forward")
	}
	if (m.TLSCert == "") != (m.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together (got cert %q, key %q)", m.TLSCert, m.TLSKey)
	}
	if m.TLSCert != "" {
		m.TLS = true
	}
	if m.TLS && m.Mode == "forward" {
		return fmt.Errorf("--tls with --mode forward: forward mode is a plain HTTP proxy (clients reach HTTPS sites through CONNECT)")
	}
	return nil
}

// caDir is --ca-dir or the default config directory.
func (m *modeFlags) caDir() (string, error) {
	if m.CADir != "" {
		return m.CADir, nil
	}
	return certs.DefaultDir()
}

// listen opens the proxy's listener: TLS-classifying with --tls, else
// plain with TLS-on-plain detection. It returns the URL scheme to print.
func (m *modeFlags) listen(addr string, sinks []*bus.Queue[obs.Obs], stderr io.Writer) (net.Listener, string, error) {
	var cert tls.Certificate
	if m.TLS {
		var err error
		if cert, err = m.serverCert(stderr); err != nil {
			return nil, "", err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, "", fmt.Errorf("--listen %s: %w (another process listens there; choose another port, or 127.0.0.1:0 for any free one)", addr, err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("--listen %s: %w", addr, err)
	}
	if m.TLS {
		return proxy.ListenTLS(ln, cert, sinks), "https", nil
	}
	return proxy.SniffPlain(ln, sinks), "http", nil
}

// serverCert loads --tls-cert/--tls-key, or the generated localhost
// certificate kept in the CA directory (made on first use and again when
// it nears expiry), so a user trusts it once, not at every start.
func (m *modeFlags) serverCert(stderr io.Writer) (tls.Certificate, error) {
	if m.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(m.TLSCert, m.TLSKey)
		if err != nil {
			return c, fmt.Errorf("--tls-cert %s --tls-key %s: %w", m.TLSCert, m.TLSKey, err)
		}
		return c, nil
	}
	dir, err := m.caDir()
	if err != nil {
		return tls.Certificate{}, err
	}
	certFile, keyFile := filepath.Join(dir, "localhost.pem"), filepath.Join(dir, "localhost-key.pem")
	if c, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil && c.Leaf != nil && time.Until(c.Leaf.NotAfter) > 24*time.Hour {
		fmt.Fprintf(stderr, "sioproxy: serving the localhost certificate %s (trust it once: Node NODE_EXTRA_CA_CERTS=%s, curl --cacert %s)\n", certFile, certFile, certFile)
		return c, nil
	}
	c, err := certs.Localhost()
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM, keyPEM, err := certs.PEM(c)
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err == nil {
		err = os.WriteFile(keyFile, keyPEM, 0o600)
	}
	if err == nil {
		err = os.WriteFile(certFile, certPEM, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sioproxy: serving a generated localhost certificate (could not save it: %v)\n", err)
	} else {
		fmt.Fprintf(stderr, "sioproxy: serving a new certificate for localhost, valid %s; trust %s to connect\n"+
			"          (Node: NODE_EXTRA_CA_CERTS=%s; curl: --cacert %s; browsers: import it)\n",
			time.Until(c.Leaf.NotAfter).Round(time.Hour), certFile, certFile, certFile)
	}
	return *c, nil
}

// serveForward runs forward mode until ctx ends.
func serveForward(ctx context.Context, cfg config, stdout *os.File, stderr io.Writer) error {
	var roots *x509.CertPool
	if cfg.UpstreamCA != "" {
		var err error
		if roots, err = loadCA(cfg.UpstreamCA); err != nil {
			return err
		}
	}
	dir, err := cfg.caDir()
	if err != nil {
		return err
	}
	ca, err := certs.LoadOrCreateCA(dir)
	if err != nil {
		return fmt.Errorf("interception CA: %w", err)
	}
	bodyCap := cfg.BodyCap
	if bodyCap == 0 {
		bodyCap = -1
	}
	intercept := "all hosts"
	if len(cfg.Intercept) > 0 {
		intercept = strings.Join(cfg.Intercept, ", ")
	}
	rt, err := newRuntime(cfg, stdout, recordings.Header{Mode: "forward", Target: "intercept " + intercept, Started: time.Now()})
	if err != nil {
		return err
	}
	if err := rt.startMetrics(stderr); err != nil {
		return err
	}
	errLog := log.New(stderr, "", log.LstdFlags)
	f, err := proxy.NewForward(proxy.ForwardOptions{
		CA:               ca,
		Intercept:        cfg.Intercept,
		Sinks:            rt.sinks(),
		BodyCap:          bodyCap,
		UpstreamCA:       roots,
		InsecureUpstream: cfg.InsecureUpstream,
		ErrorLog:         errLog,
		WSBudget:         rt.wsPool,
		Auth:             cfg.Auth,
	})
	if err != nil {
		return err
	}
	rt.conns = func() int64 { s := f.Stats(); return s.WSOpen + s.Active }
	ln, _, err := cfg.listen(cfg.Listen, rt.sinks(), stderr)
	if err != nil {
		return err
	}
	listen := "http://" + ln.Addr().String()
	fmt.Fprintf(stderr, "sioproxy: listening on %s as a forward proxy (HTTP_PROXY=%s HTTPS_PROXY=%s), intercepting %s\n", listen, listen, listen, intercept)
	fmt.Fprintf(stderr, "sioproxy: clients must trust %s for intercepted HTTPS ('sioproxy ca' tells how)\n", filepath.Join(dir, certs.CertFile))
	warnExposed(stderr, ln.Addr(), true, cfg.Auth != "")
	if rt.useTUI {
		errLog.SetOutput(io.Discard)
	}
	served, stop := startHTTP(ln, f, errLog, func() error {
		ln.Close()
		return f.Close() // tunnels, intercepted conns and WebSockets; after it nothing is pushed
	}, cfg.IdleTimeout, cfg.HeaderTimeout)
	return rt.run(ctx, uiInfo{Title: "sioproxy forward", Listen: listen, Target: "intercept " + intercept}, served, stop, stdout, stderr)
}
