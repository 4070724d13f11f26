package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// doctor is one run.
type doctor struct {
	opts  Options
	base  *url.URL
	tls   bool
	addr  string
	roots *x509.CertPool // nil: the system's
	http  *http.Client
	tlsCf *tls.Config

	// What lower layers learned, for the ones above.
	certRejected bool // a certificate probe failed: the rest runs unverified

	mu     sync.Mutex
	probes []*Probe
}

// Run probes the server and returns the report. The error is for bad
// options only; everything the server does is in the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	base, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	d := &doctor{opts: opts, base: base, tls: base.Scheme == "https"}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %v", err)
		}
		d.roots = x509.NewCertPool()
		if !d.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", opts.CAFile)
		}
	}
	start := time.Now()
	d.run(ctx)
	if d.http != nil {
		d.http.CloseIdleConnections()
	}
	r := &Report{URL: base.String(), Path: d.opts.Path, EIO: d.opts.EIO, Origin: d.opts.Origin}
	r.finish(d.probes)
	r.Millis = time.Since(start).Milliseconds()
	return r, nil
}

func (d *doctor) run(ctx context.Context) {
	if !d.probeNetwork(ctx) {
		return
	}
	d.setupHTTP()
	e := d.probeEngine(ctx)
	if e == nil {
		return
	}
	// The heartbeat waits for the server's ping: started now, it overlaps
	// the other probes instead of adding a pingInterval to the run.
	hb := make(chan struct{})
	go func() {
		defer close(hb)
		d.probeHeartbeat(ctx, e)
	}()
	d.probeCORS(ctx, e)
	d.probeAffinity(ctx, e)
	d.probeWebSocket(ctx, e)
	d.probeNamespace(ctx, e)
	d.probeLimits(ctx, e)
	<-hb
}

func (d *doctor) setupHTTP() {
	d.tlsCf = &tls.Config{
		ServerName:         d.base.Hostname(),
		RootCAs:            d.roots,
		InsecureSkipVerify: d.opts.Insecure || d.certRejected,
		NextProtos:         []string{"http/1.1"},
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: d.opts.Timeout}).DialContext,
		TLSClientConfig:     d.tlsCf,
		TLSHandshakeTimeout: d.opts.Timeout,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
		// No proxy from the environment: the point is to see this server.
		Proxy: nil,
	}
	d.http = &http.Client{
		Transport: tr,
		// A redirect is a finding (an HTML login page, http→https), not
		// something to follow silently.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// probe registers a new probe of layer.
func (d *doctor) probe(layer, name string) *Probe {
	p := &Probe{Layer: layer, Name: name, started: time.Now()}
	d.mu.Lock()
	d.probes = append(d.probes, p)
	d.mu.Unlock()
	return p
}

func (p *Probe) set(s Status, format string, args ...any) *Probe {
	p.Status = s
	p.Summary = fmt.Sprintf(format, args...)
	p.Millis = time.Since(p.started).Milliseconds()
	return p
}

func (p *Probe) pass(format string, args ...any) *Probe { return p.set(Pass, format, args...) }
func (p *Probe) warn(format string, args ...any) *Probe { return p.set(Warn, format, args...) }
func (p *Probe) fail(format string, args ...any) *Probe { return p.set(Fail, format, args...) }
func (p *Probe) skip(format string, args ...any) *Probe { return p.set(Skip, format, args...) }

// exchange records x as the probe's request and response.
func (p *Probe) exchange(x *exchange) *Probe {
	if x != nil {
		p.Request, p.Response = x.request(), x.response()
	}
	return p
}

func (p *Probe) detail(format string, args ...any) {
	p.Details = append(p.Details, fmt.Sprintf(format, args...))
}
