package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// SIOPROXY_PPROF serves the pacer's memory figures beside the profiles,
// for the soak benchmark's -memstats.
func TestPprofServesMemory(t *testing.T) {
	var stderr bytes.Buffer
	startPprof("127.0.0.1:0", &stderr)
	m := regexp.MustCompile(`pprof on http://([^/\s]+)/`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no pprof address in %q", stderr.String())
	}
	resp, err := http.Get("http://" + m[1] + "/debug/memory")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "limit=") || !strings.Contains(string(b), " released=") {
		t.Fatalf("/debug/memory: %s %q", resp.Status, b)
	}
}
