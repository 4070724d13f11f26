package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/sioproxy/sioproxy/internal/metrics"
	"github.com/sioproxy/sioproxy/stats"
	"github.com/sioproxy/sioproxy/tui"
)

const metricsUsage = `  --metrics ADDR        serve Prometheus metrics at http://ADDR/metrics (off by
                        default); a port alone (:9464) listens on 127.0.0.1
`

// statsFlags are the flags of the stats views that run with the proxy.
type statsFlags struct {
	Metrics string
}

func (s *statsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.Metrics, "metrics", "", "")
}

// startMetrics opens the --metrics endpoint over the run's collector.
// Called before the proxy listens, so a bad address stops the run early.
func startMetrics(addr string, st *stats.Collector, queues map[string]func() uint64, stderr io.Writer) (*metrics.Server, error) {
	srv, err := metrics.Listen(addr)
	if err != nil {
		return nil, err
	}
	srv.Serve(metrics.Handler(metrics.New(st, queues)))
	fmt.Fprintf(stderr, "sioproxy: metrics on %s\n", srv.URL())
	if !srv.Loopback() {
		fmt.Fprintf(stderr, "sioproxy: warning: --metrics %s is reachable from other hosts; the metrics name your app's events and faults (use 127.0.0.1:PORT to keep them local)\n", addr)
	}
	return srv, nil
}

// startMetrics starts --metrics, if asked for, before the proxy listens.
// On error the runtime is closed (its recording file too).
func (r *runtime) startMetrics(stderr io.Writer) error {
	if r.cfg.Metrics == "" {
		return nil
	}
	queues := map[string]func() uint64{"observations": r.in.Dropped}
	if r.rec != nil {
		queues["record"] = r.rec.Dropped
	}
	if r.cacheQ != nil {
		queues["detail"] = r.cacheQ.Dropped
	}
	m, err := startMetrics(r.cfg.Metrics, r.stats, queues, stderr)
	if err != nil {
		if r.recW != nil {
			r.recW.Close()
		}
		return err
	}
	r.metrics = m
	return nil
}

// StatsSnapshot gives the TUI's stats pane the numbers the analyzer
// computed (the same ones --metrics serves).
func (s *uiSource) StatsSnapshot(bars int) *stats.Snapshot { return s.stats.Snapshot(bars) }

var _ tui.StatsSource = (*uiSource)(nil)
