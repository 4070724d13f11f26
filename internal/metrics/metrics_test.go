package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/stats"
)

func TestScrapeMatchesTraffic(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	id := func(n int64) *int64 { return &n }
	c := stats.New(stats.Options{})
	evs := []event.Event{
		{TS: ms(0), Kind: event.KindHTTP, Transport: "polling", Path: "/socket.io/?EIO=4&transport=polling", Status: 200},
		{TS: ms(0), Kind: event.KindSession, Action: "open", Sid: "S", Transport: "polling", EIO: 4},
		{TS: ms(1), Kind: event.KindPacket, Sid: "S", Dir: "c2s", Engine: "message", Type: "EVENT", Nsp: "/chat", Event: "say", ID: id(1), Size: 30},
		{TS: ms(4), Kind: event.KindPacket, Sid: "S", Dir: "s2c", Engine: "message", Type: "ACK", Nsp: "/chat", ID: id(1), Size: 8},
		{TS: ms(5), Kind: event.KindPacket, Sid: "S", Dir: "c2s", Engine: "message", Type: "EVENT", Nsp: "/chat", Event: "say", ID: id(2), Size: 30},
		{TS: ms(6), Kind: event.KindSession, Action: "upgrade", Sid: "S", Transport: "websocket"},
		{TS: ms(7), Kind: event.KindFault, Sid: "S", Fault: &event.Fault{Code: "pong_missing", Count: 2}},
		{TS: ms(8), Kind: event.KindHTTP, Path: "/x", Error: "timeout: deadline"},
		{TS: ms(9), Kind: event.KindSession, Action: "close", Sid: "S", Reason: "ping timeout"},
	}
	for i := range evs {
		c.Observe(&evs[i])
	}
	srv := httptest.NewServer(Handler(New(c, map[string]func() uint64{"record": func() uint64 { return 7 }})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got, err := Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	want := map[string]float64{
		`sioproxy_sessions_opened_total{eio="4",transport="polling"}`:                  1,
		`sioproxy_handshakes_total{outcome="ok"}`:                                      1,
		`sioproxy_upgrades_total{result="ok"}`:                                         1,
		`sioproxy_packets_total{direction="c2s",namespace="/chat",type="EVENT"}`:       2,
		`sioproxy_bytes_total{direction="c2s",namespace="/chat",type="EVENT"}`:         60,
		`sioproxy_packets_total{direction="s2c",namespace="/chat",type="ACK"}`:         1,
		`sioproxy_ack_latency_seconds_count{direction="c2s",event="say"}`:              1,
		`sioproxy_ack_latency_seconds_bucket{direction="c2s",event="say",le="0.0025"}`: 0,
		`sioproxy_ack_latency_seconds_bucket{direction="c2s",event="say",le="0.005"}`:  1,
		`sioproxy_acks_unanswered_total{direction="c2s",event="say"}`:                  1,
		`sioproxy_faults_total{code="pong_missing"}`:                                   2,
		`sioproxy_relay_errors_total{kind="timeout"}`:                                  1,
		`sioproxy_drops_total{queue="record"}`:                                         7,
		`sioproxy_session_closes_total{reason="ping timeout"}`:                         1,
		`sioproxy_decode_errors_total`:                                                 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if s := got[`sioproxy_ack_latency_seconds_sum{direction="c2s",event="say"}`]; s < 0.0029 || s > 0.0031 {
		t.Errorf("ack latency sum %v s, want 0.003", s)
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

func TestListen(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Loopback() || !strings.HasSuffix(s.URL(), "/metrics") {
		t.Errorf("loopback %v url %s", s.Loopback(), s.URL())
	}
	s.Serve(http.NotFoundHandler())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, port := range []string{"0", ":0"} {
		s, err := Listen(port)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Loopback() || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
			t.Errorf("--metrics %s listens on %s, want 127.0.0.1", port, s.URL())
		}
		s.Close()
	}
	for _, bad := range []string{"nohost:notaport", "x", "[::1"} {
		if _, err := Listen(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Listen(%q) = %v, want an error naming it", bad, err)
		}
	}
}
