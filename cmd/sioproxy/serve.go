package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/proxy"
	"github.com/sioproxy/sioproxy/recordings"
)

// obsQueueSize bounds observations waiting for the analyzer; beyond it
// they are dropped and counted, never blocking the relay.
const obsQueueSize = 1 << 16

// shutdownGrace is how long in-flight requests get on SIGINT. Engine.IO
// long-polls would hold Shutdown for up to pingInterval, and clients
// reconnect anyway, so it is short.
const shutdownGrace = time.Second

// serve runs the reverse proxy until ctx ends.
func serve(ctx context.Context, cfg config, stdout *os.File, stderr io.Writer) error {
	if cfg.Mode == "forward" {
		return serveForward(ctx, cfg, stdout, stderr)
	}
	var roots *x509.CertPool
	if cfg.UpstreamCA != "" {
		var err error
		if roots, err = loadCA(cfg.UpstreamCA); err != nil {
			return err
		}
	}
	bodyCap := cfg.BodyCap
	if bodyCap == 0 {
		bodyCap = -1 // proxy.Options: negative keeps no body, 0 is the default
	}
	relayOnly := os.Getenv(relayOnlyEnv) != ""
	if relayOnly {
		bodyCap = -1
		fmt.Fprintf(stderr, "sioproxy: %s is set: relaying without observing anything (a benchmark's baseline)\n", relayOnlyEnv)
	}
	rt, err := newRuntime(cfg, stdout, recordings.Header{Mode: "reverse", Target: targetList(cfg), Started: time.Now()})
	if err != nil {
		return err
	}
	if err := rt.startMetrics(stderr); err != nil {
		return err
	}
	errLog := log.New(stderr, "", log.LstdFlags)
	ln, scheme, err := cfg.listen(cfg.Listen, rt.sinks(), stderr)
	if err != nil {
		return err
	}
	faults := cfg.injectSet(len(cfg.Targets))
	eng, ctlPath, stopActive, err := startActive(ctx, cfg, faults, stderr)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopActive()
	eng = cfg.injectEngine(eng, rt.useTUI)
	rt.faults = faults
	announceInject(stderr, faults)
	if eng != nil {
		rt.intercept = newBreakpointUI(eng)
		rt.engine = eng
	}
	p, err := proxy.New(proxy.Options{
		Inject:           faults,
		Active:           eng,
		Targets:          cfg.Targets,
		Balance:          cfg.Balance,
		Paths:            cfg.Paths,
		KeepHost:         cfg.KeepHost,
		Sinks:            rt.sinks(),
		RelayOnly:        relayOnly,
		BodyCap:          bodyCap,
		UpstreamCA:       roots,
		InsecureUpstream: cfg.InsecureUpstream,
		ErrorLog:         errLog,
		WSBudget:         rt.wsPool,
	})
	if err != nil {
		ln.Close()
		return err
	}
	rt.conns = func() int64 { s := p.Stats(); return s.WSOpen + s.Active }
	balance := ""
	if len(cfg.Targets) > 1 {
		balance = " (" + cfg.Balance + ")"
	}
	listen := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(stderr, "sioproxy: listening on %s → %s%s\n", listen, targetList(cfg), balance)
	warnExposed(stderr, ln.Addr(), false, false)
	checks := checkTargets(ctx, cfg, rt.useTUI, stderr)
	if ctlPath != "" {
		fmt.Fprintf(stderr, "sioproxy: control socket %s (sioproxy inject, sioproxy sessions)\n", ctlPath)
	}
	if rt.useTUI {
		// The UI owns the terminal; relay errors would garble it.
		errLog.SetOutput(io.Discard)
	}

	// p.Close ends the hijacked WebSockets; after it nothing is pushed.
	served, stop := startHTTP(ln, p, errLog, p.Close, cfg.IdleTimeout, cfg.HeaderTimeout)
	return rt.run(ctx, uiInfo{Title: "sioproxy", Listen: listen, Target: targetList(cfg) + balance, StartCheck: checks}, served, stop, stdout, stderr)
}

func targetList(cfg config) string {
	var targets []string
	for _, t := range cfg.Targets {
		targets = append(targets, t.String())
	}
	return strings.Join(targets, ", ")
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--upstream-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--upstream-ca %s: no PEM certificate in the file", path)
	}
	return pool, nil
}

// isTerminal reports whether f is a character device (a TTY); when stdout
// is a pipe or a file, sioproxy runs headless.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
