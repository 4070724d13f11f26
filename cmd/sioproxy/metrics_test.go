package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/stats"
)

func TestMetricsFlag(t *testing.T) {
	c, err := parseFlags([]string{"--metrics", "127.0.0.1:0"})
	if err != nil || c.Metrics != "127.0.0.1:0" {
		t.Fatalf("--metrics: %+v, %v", c.statsFlags, err)
	}
	if c, _ := parseFlags(nil); c.Metrics != "" {
		t.Fatalf("metrics on by default: %q", c.Metrics)
	}
}

func TestStartMetricsWarnsOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		warn bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		var stderr bytes.Buffer
		srv, err := startMetrics(tc.addr, stats.New(stats.Options{}), nil, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if got := strings.Contains(stderr.String(), "reachable from other hosts"); got != tc.warn {
			t.Errorf("--metrics %s: warned %v, want %v; stderr %q", tc.addr, got, tc.warn, stderr.String())
		}
	}
	if _, err := startMetrics("localhost", stats.New(stats.Options{}), nil, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"localhost"`) {
		t.Errorf("--metrics localhost: %v, want an error naming it", err)
	}
	var stderr bytes.Buffer
	srv, err := startMetrics(":0", stats.New(stats.Options{}), nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if !strings.Contains(stderr.String(), "metrics on http://127.0.0.1:") || strings.Contains(stderr.String(), "warning") {
		t.Errorf("--metrics :0 should listen on loopback without a warning: %q", stderr.String())
	}
}
