// Package metrics serves the stats collector's numbers as a Prometheus
// endpoint (--metrics ADDR). Nothing is counted twice: each scrape reads a
// stats.Snapshot and turns it into constant metrics, so the relay and the
// analyzer pay nothing for the endpoint between scrapes.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sioproxy/sioproxy/stats"
)

// Metric names, stable once released: dashboards and alerts use them.
const (
	SessionsOpened = "sioproxy_sessions_opened_total"
	SessionsActive = "sioproxy_sessions_active"
	Handshakes     = "sioproxy_handshakes_total"
	Upgrades       = "sioproxy_upgrades_total"
	Packets        = "sioproxy_packets_total"
	Bytes          = "sioproxy_bytes_total"
	AckLatency     = "sioproxy_ack_latency_seconds"
	AcksUnanswered = "sioproxy_acks_unanswered_total"
	AcksPending    = "sioproxy_acks_pending"
	PingRTT        = "sioproxy_ping_rtt_seconds"
	Reconnects     = "sioproxy_reconnects_total"
	SessionCloses  = "sioproxy_session_closes_total"
	Faults         = "sioproxy_faults_total"
	Drops          = "sioproxy_drops_total"
	RelayErrors    = "sioproxy_relay_errors_total"
	DecodeErrors   = "sioproxy_decode_errors_total"
)

// Names lists every metric this package exports (the Grafana example
// dashboard is checked against it).
var Names = []string{SessionsOpened, SessionsActive, Handshakes, Upgrades, Packets, Bytes, AckLatency,
	AcksUnanswered, AcksPending, PingRTT, Reconnects, SessionCloses, Faults, Drops, RelayErrors, DecodeErrors}

var (
	dSessionsOpened = prometheus.NewDesc(SessionsOpened, "Engine.IO sessions opened, by the transport of the handshake and the Engine.IO version.", []string{"transport", "eio"}, nil)
	dSessionsActive = prometheus.NewDesc(SessionsActive, "Engine.IO sessions open now, by current transport and Engine.IO version.", []string{"transport", "eio"}, nil)
	dHandshakes     = prometheus.NewDesc(Handshakes, "Engine.IO handshakes (requests without a sid), by outcome: ok, refused (4xx), server_error (5xx), no_response, other.", []string{"outcome"}, nil)
	dUpgrades       = prometheus.NewDesc(Upgrades, "Upgrades to WebSocket, by result: ok, failed (a D1/D2 fault).", []string{"result"}, nil)
	dPackets        = prometheus.NewDesc(Packets, "Engine.IO packets, by direction, type (Socket.IO type, or the Engine.IO one) and namespace.", []string{"direction", "type", "namespace"}, nil)
	dBytes          = prometheus.NewDesc(Bytes, "Bytes of Engine.IO packets on the wire (attachments included), by direction, type and namespace.", []string{"direction", "type", "namespace"}, nil)
	dAckLatency     = prometheus.NewDesc(AckLatency, "Time from an EVENT with an ack id to its ACK, by event name (the first names seen; later ones are \"(other)\") and direction of the EVENT.", []string{"event", "direction"}, nil)
	dAcksUnanswered = prometheus.NewDesc(AcksUnanswered, "EVENTs with an ack id whose session closed (or reused the id) before an ACK.", []string{"event", "direction"}, nil)
	dAcksPending    = prometheus.NewDesc(AcksPending, "EVENTs with an ack id waiting for their ACK.", []string{"event", "direction"}, nil)
	dPingRTT        = prometheus.NewDesc(PingRTT, "Heartbeat round trip: ping to pong.", nil, nil)
	dReconnects     = prometheus.NewDesc(Reconnects, "Sessions opened by a client host whose earlier session had closed.", nil, nil)
	dSessionCloses  = prometheus.NewDesc(SessionCloses, "Sessions closed, by reason.", []string{"reason"}, nil)
	dFaults         = prometheus.NewDesc(Faults, "Diagnosed faults, repeats included, by fault code.", []string{"code"}, nil)
	dDrops          = prometheus.NewDesc(Drops, "Observations or lines a lagging consumer lost, by queue.", []string{"queue"}, nil)
	dRelayErrors    = prometheus.NewDesc(RelayErrors, "HTTP exchanges the relay got no response for, by kind (dial, tls, timeout, client_gone, upstream_reset, other).", []string{"kind"}, nil)
	dDecodeErrors   = prometheus.NewDesc(DecodeErrors, "Packets or payloads that failed to decode (the traffic still flowed).", nil, nil)
)

// Collector is a prometheus.Collector over a stats.Collector.
type Collector struct {
	src *stats.Collector
	// queues adds drop counters that no event reports (the recorder's and
	// the detail cache's queues), by queue name.
	queues map[string]func() uint64
}

// New exports src. queues maps a queue name to its drop counter.
func New(src *stats.Collector, queues map[string]func() uint64) *Collector {
	return &Collector{src: src, queues: queues}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dSessionsOpened, dSessionsActive, dHandshakes, dUpgrades, dPackets, dBytes,
		dAckLatency, dAcksUnanswered, dAcksPending, dPingRTT, dReconnects, dSessionCloses, dFaults, dDrops, dRelayErrors, dDecodeErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot(0)
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for k, v := range s.SessionsOpened {
		counter(dSessionsOpened, float64(v), k.Transport, strconv.Itoa(k.EIO))
	}
	for k, v := range s.SessionsActive {
		gauge(dSessionsActive, float64(v), k.Transport, strconv.Itoa(k.EIO))
	}
	for k, v := range s.Handshakes {
		counter(dHandshakes, float64(v), k)
	}
	for k, v := range s.Upgrades {
		counter(dUpgrades, float64(v), k)
	}
	for _, r := range s.Traffic {
		counter(dPackets, float64(r.Packets), r.Dir, r.Type, r.Nsp)
		counter(dBytes, float64(r.Bytes), r.Dir, r.Type, r.Nsp)
	}
	for _, r := range s.Events {
		if r.Answered+r.Unanswered+r.Pending == 0 {
			continue // never asked for an ack
		}
		buckets := make(map[float64]uint64, len(stats.AckBuckets))
		var cum uint64
		for i, le := range stats.AckBuckets {
			cum += r.AckLe[i]
			buckets[le] = cum
		}
		ch <- prometheus.MustNewConstHistogram(dAckLatency, r.Answered, r.AckSumSec, buckets, r.Name, r.Dir)
		counter(dAcksUnanswered, float64(r.Unanswered), r.Name, r.Dir)
		gauge(dAcksPending, float64(r.Pending), r.Name, r.Dir)
	}
	q := map[float64]float64{}
	if s.PingRTT.Count > 0 {
		q = map[float64]float64{0.5: s.PingRTT.P50 / 1e3, 0.9: s.PingRTT.P90 / 1e3, 0.99: s.PingRTT.P99 / 1e3, 1: s.PingRTT.Max / 1e3}
	}
	ch <- prometheus.MustNewConstSummary(dPingRTT, s.PingRTT.Count, s.PingRTT.Mean*float64(s.PingRTT.Count)/1e3, q)
	counter(dReconnects, float64(s.Reconnects))
	for k, v := range s.CloseReasons {
		counter(dSessionCloses, float64(v), k)
	}
	for k, v := range s.Faults {
		counter(dFaults, float64(v), k)
	}
	drops := s.Drops
	for name, f := range c.queues {
		drops[name] = max(drops[name], f())
	}
	for k, v := range drops {
		counter(dDrops, float64(v), k)
	}
	for k, v := range s.RelayErrors {
		counter(dRelayErrors, float64(v), k)
	}
	counter(dDecodeErrors, float64(s.DecodeErrors))
}

// Handler serves c, with the Go runtime's and the process's own metrics,
// at any path (the caller mounts it at /metrics).
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Server is a running metrics endpoint.
type Server struct {
	ln  net.Listener
	srv *http.Server
	err chan error
}

// Listen opens addr for the endpoint: host:port, or a port alone (":9464"
// or "9464"), which listens on 127.0.0.1. Loopback is the safe default:
// the metrics name the app's events and faults.
func Listen(addr string) (*Server, error) {
	hostport := addr
	if !strings.Contains(addr, ":") {
		hostport = ":" + addr
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("--metrics %q: want host:port or a port, e.g. 127.0.0.1:9464", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("--metrics %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("--metrics %q: %w", addr, err)
	}
	return &Server{ln: ln}, nil
}

// URL is where the endpoint answers.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/metrics" }

// Loopback reports whether the endpoint is reachable only from this host.
func (s *Server) Loopback() bool {
	a, ok := s.ln.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// Serve starts serving h at /metrics in its own goroutine.
func (s *Server) Serve(h http.Handler) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.err = make(chan error, 1)
	go func() {
		err := s.srv.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.err <- err
	}()
}

// Close stops the endpoint and waits for its goroutine.
func (s *Server) Close() error {
	if s.srv == nil {
		return s.ln.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	return <-s.err
}
