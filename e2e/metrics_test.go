package e2e

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/metrics"
)

var metricsRE = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// TestMetricsCountTraffic runs real socket.io clients (upgrade, polling
// only, WebSocket only) through sioproxy --metrics and checks the scraped
// counters against the packets the clients logged.
func TestMetricsCountTraffic(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	px := startProxy(t, srv.url, "--metrics", "127.0.0.1:0")
	var url string
	px.stderr.waitFor(startTimeout, func(lines []string) bool {
		for _, l := range lines {
			if m := metricsRE.FindStringSubmatch(l); m != nil {
				url = m[1]
				return true
			}
		}
		return false
	})
	if url == "" {
		t.Fatalf("sioproxy did not print \"metrics on http://…/metrics\"\n%s", px.describe())
	}
	if strings.Contains(strings.Join(px.stderr.all(), "\n"), "reachable from other hosts") {
		t.Errorf("a loopback --metrics warned about other hosts")
	}

	want := map[string]float64{}
	add := func(k string, n float64) { want[k] += n }
	for _, sc := range []string{"default", "polling", "websocket"} {
		run := runClient(t, px.url, sc, nil)
		for _, p := range run.packets {
			dir := "c2s"
			if p.Dir == "recv" {
				dir = "s2c"
			}
			add(fmt.Sprintf(`sioproxy_packets_total{direction=%q,namespace=%q,type=%q}`, dir, p.Nsp, p.Type), 1)
			if p.Ack {
				add(fmt.Sprintf(`sioproxy_ack_latency_seconds_count{direction=%q,event=%q}`, dir, p.Event), 1)
			}
		}
	}
	add(`sioproxy_sessions_opened_total{eio="4",transport="polling"}`, 2)
	add(`sioproxy_sessions_opened_total{eio="4",transport="websocket"}`, 1)
	add(`sioproxy_handshakes_total{outcome="ok"}`, 3)
	add(`sioproxy_upgrades_total{result="ok"}`, 1)
	for _, k := range []string{`sioproxy_ack_latency_seconds_count{direction="c2s",event="tock"}`, `sioproxy_ack_latency_seconds_count{direction="s2c",event="question"}`} {
		if want[k] == 0 {
			t.Fatalf("the clients logged no %s: the scenarios changed? want %v", k, want)
		}
	}

	// The analyzer may still be behind the clients: wait for the counts.
	var got map[string]float64
	deadline := time.Now().Add(settleTimeout)
	for {
		got = scrape(t, url)
		if diff := metricsDiff(got, want); diff == "" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("metrics differ from the traffic the clients logged:\n%s\n%s", diff, px.describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := got[`sioproxy_faults_total{code="pong_missing"}`]; n != 0 {
		t.Errorf("healthy traffic counted %v pong_missing faults", n)
	}
	if got[`sioproxy_drops_total{queue="observations"}`] != 0 {
		t.Errorf("observations dropped: %v", got[`sioproxy_drops_total{queue="observations"}`])
	}
}

func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape %s: status %d, %v", url, resp.StatusCode, err)
	}
	m, err := metrics.Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return m
}

func metricsDiff(got, want map[string]float64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			fmt.Fprintf(&b, "  %s = %v, want %v\n", k, got[k], want[k])
		}
	}
	return b.String()
}
