package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sioproxy/sioproxy/internal/demo"
	"github.com/sioproxy/sioproxy/proxy/inject"
	"github.com/sioproxy/sioproxy/recordings"
)

const demoUsage = `usage: sioproxy demo [--chaos] [--no-tui] [--json] [--record FILE] [--redact]
                     [--binary STYLE] [--duration D] [--pace X] [--view N]

Runs a small Socket.IO chat app built into sioproxy, real sioproxy relays in
front of it, and simulated clients: polling that upgrades to WebSocket, a
polling-only client, namespaces with auth, acks, binary attachments, and a
few genuine faults (a CORS origin the app does not allow, a load balancer
without sticky sessions, a middleware refusal, an unknown namespace).

--chaos also injects production failures, one --inject rule after another
(no-upgrade, swallow-probe, drop-pongs, cut-ws, fail-polls, delay…), so
each fault can be watched as it appears; the UI's "!" menu toggles rules.
`

// runDemo is `sioproxy demo`.
func runDemo(ctx context.Context, args []string, stdout *os.File, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg config
	var dur time.Duration
	pace := 1.0
	var chaos bool
	fs.BoolVar(&chaos, "chaos", false, "")
	fs.BoolVar(&cfg.NoTUI, "no-tui", false, "")
	fs.BoolVar(&cfg.JSON, "json", false, "")
	fs.StringVar(&cfg.Record, "record", "", "")
	fs.BoolVar(&cfg.Redact, "redact", false, "")
	fs.DurationVar(&dur, "duration", 0, "")
	fs.Float64Var(&pace, "pace", 1, "")
	fs.IntVar(&cfg.View, "view", defaultView, "")
	cfg.registerBinary(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, demoUsage)
			return nil
		}
		return usageError{fmt.Errorf("demo: %v", err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))}
	}
	if err := checkView(cfg.View); err != nil {
		return usageError{fmt.Errorf("demo: %v", err)}
	}
	if pace <= 0 {
		return usageError{fmt.Errorf("demo: --pace %v: must be more than 0", pace)}
	}
	if cfg.JSON {
		cfg.NoTUI = true
	}
	rt, err := newRuntime(cfg, stdout, recordings.Header{Mode: "demo", Started: time.Now()})
	if err != nil {
		return err
	}
	rt.faults = inject.NewSet(nil)
	d, err := demo.Start(ctx, demo.Options{Sinks: rt.sinks(), Pace: pace, Faults: rt.faults, Chaos: chaos, OnChaos: chaosAnnouncer(stderr, rt.useTUI)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sioproxy demo: app %s, relay %s, round-robin relay %s (two nodes)\n", d.AppURL, d.ProxyURL, d.LBURL)
	done := make(chan error, 1)
	if dur > 0 {
		go func() {
			select {
			case <-time.After(dur):
				close(done)
			case <-ctx.Done():
			}
		}()
	}
	return rt.run(ctx, uiInfo{Title: "sioproxy demo", Listen: d.ProxyURL, Target: d.AppURL}, done, d.Close, stdout, stderr)
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
