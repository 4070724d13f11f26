// Package demo runs `sioproxy demo`: a small Socket.IO app built into the
// binary (internal/sioserver), real sioproxy relays in front of it, and
// simulated clients (internal/sioclient) that make varied traffic and a few
// genuine faults. Nothing is faked downstream of the wire: the faults come
// from real requests answered by real (mis)configured servers.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/sioserver"
	"github.com/sioproxy/sioproxy/proxy"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// Options configure the demo.
type Options struct {
	// Sinks receive the observations of both relays.
	Sinks []*bus.Queue[obs.Obs]
	// Pace scales the pauses between client actions; 1 is the default
	// rhythm, smaller is faster (tests use 0.05).
	Pace float64
	// Log receives client errors that are not part of a staged fault.
	Log *log.Logger
	// Faults, when set, are the --inject rules of the relay in front of
	// the app (the UI's "!" menu toggles them); with Chaos the demo also
	// cycles through them, calling OnChaos with each rule switched on
	// ("" while none is). See chaos.go.
	Faults  *inject.Set
	Chaos   bool
	OnChaos func(rule string)
}

// Demo is a running demo. Close stops everything it started.
type Demo struct {
	// ProxyURL is the relay in front of the app (what the TUI's status
	// bar shows as the listen address), AppURL the app itself.
	ProxyURL, AppURL string
	// LBURL is a second relay that round-robins over two separate app
	// nodes without sticky sessions: the "lost sticky session" fault.
	LBURL string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func()
}

// Start launches servers, relays and clients on 127.0.0.1 ports chosen by
// the kernel, and returns once they are listening.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	if opts.Pace <= 0 {
		opts.Pace = 1
	}
	if opts.Log == nil {
		opts.Log = log.New(discard{}, "", 0)
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Demo{cancel: cancel}

	app := newApp("node-a")
	appURL, err := d.serve(app)
	if err != nil {
		d.Close()
		return nil, err
	}
	nodeB := newApp("node-b")
	nodeBURL, err := d.serve(nodeB)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.AppURL = appURL

	fo := proxy.Options{Targets: []*url.URL{mustURL(appURL)}, Sinks: opts.Sinks, ErrorLog: opts.Log}
	if opts.Faults != nil {
		fo.Inject, fo.Active = opts.Faults, active.New(active.Options{})
	}
	front, err := proxy.New(fo)
	if err != nil {
		d.Close()
		return nil, err
	}
	if d.ProxyURL, err = d.serve(front); err != nil {
		d.Close()
		return nil, err
	}
	d.closers = append(d.closers, func() { front.Close() })

	lb, err := proxy.New(proxy.Options{
		Targets:  []*url.URL{mustURL(appURL), mustURL(nodeBURL)},
		Balance:  proxy.RoundRobin,
		Sinks:    opts.Sinks,
		ErrorLog: opts.Log,
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	if d.LBURL, err = d.serve(lb); err != nil {
		d.Close()
		return nil, err
	}
	d.closers = append(d.closers, func() { lb.Close() })

	sc := &script{proxyURL: d.ProxyURL, lbURL: d.LBURL, pace: opts.Pace, log: opts.Log}
	actors := sc.actors()
	if opts.Chaos && opts.Faults != nil {
		actors = append(actors, func(ctx context.Context) { sc.cycleFaults(ctx, opts.Faults, opts.OnChaos) })
	}
	for _, f := range actors {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			f(ctx)
		}()
	}
	// The apps are closed after the clients so sessions end cleanly.
	d.closers = append(d.closers, app.Close, nodeB.Close)
	return d, nil
}

// Close stops the clients, relays and servers.
func (d *Demo) Close() {
	d.cancel()
	d.wg.Wait()
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// serve listens on a loopback port and serves h until Close.
func (d *Demo) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("demo: serve: %v", err)
		}
	}()
	d.closers = append(d.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	})
	return "http://" + ln.Addr().String(), nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err) // only called on URLs built from net.Listener addresses
	}
	return u
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

var _ http.Handler = (*sioserver.Server)(nil)
