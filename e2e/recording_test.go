package e2e

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRecordingReplay records real socket.io sessions through the sioproxy
// binary with --record, then checks that
//   - `replay --json` prints what the live --json printed, line for line;
//   - `replay --to` against a fresh socket.io server reproduces the
//     clients' events and gets the same acks and server events ("no
//     differences", exit 0).
func TestRecordingReplay(t *testing.T) {
	t.Parallel()
	rec := filepath.Join(t.TempDir(), "live.jsonl.gz")
	srv := startServer(t, nil)
	px := startProxy(t, srv.url, "--record", rec)
	for _, scenario := range []string{"default", "websocket", "binary"} {
		runClient(t, px.url, scenario, nil)
	}
	px.stop() // SIGTERM: the recording is flushed and closed
	if px.err != nil {
		t.Fatalf("sioproxy exited with %v\n%s", px.err, px.describe())
	}
	live := px.stdout.all()
	if len(live) < 50 {
		t.Fatalf("live run printed only %d lines", len(live))
	}

	t.Run("replay --json equals live", func(t *testing.T) {
		p := startProc(t, "sioproxy replay", e2eDir, sioproxyBin, "replay", rec, "--json", "--binary", "full")
		if err := p.wait(clientTimeout); err != nil {
			t.Fatalf("replay: %v\n%s", err, p.describe())
		}
		got := p.stdout.all()
		for i := 0; i < len(live) || i < len(got); i++ {
			var w, g string
			if i < len(live) {
				w = live[i]
			}
			if i < len(got) {
				g = got[i]
			}
			if w != g && !sameButClock(w, g) {
				t.Fatalf("line %d differs (%d lines live, %d replayed)\nlive:   %s\nreplay: %s", i+1, len(live), len(got), w, g)
			}
		}
	})

	t.Run("replay --to a fresh server", func(t *testing.T) {
		fresh := startServer(t, nil)
		p := startProc(t, "sioproxy replay --to", e2eDir, sioproxyBin, "replay", rec, "--to", fresh.url, "--fast")
		err := p.wait(clientTimeout)
		report := strings.Join(p.stdout.all(), "\n")
		if err != nil {
			t.Fatalf("replay --to: %v\n%s\n%s", err, report, p.describe())
		}
		// default (polling, upgraded), websocket, and binary's two sessions.
		if !strings.HasSuffix(report, "4 sessions, no differences") {
			t.Fatalf("report:\n%s", report)
		}
		// The fresh server saw the recorded clients' events again.
		var events []string
		for _, pk := range parseWirePackets(t, "server.js", fresh.stdout.all()) {
			if pk.Dir == "recv" && pk.Event != "" {
				events = append(events, pk.Event)
			}
		}
		for _, want := range []string{"hello", "ask", "burst", "echo", "send-binary"} {
			if !contains(events, want) {
				t.Errorf("the fresh server did not receive %q; it received %v", want, events)
			}
		}
	})
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// clockFields are computed from two observation times. Live, those carry
// Go's monotonic clock reading, which a recording cannot keep (it stores
// wall-clock times), so replay may differ from live by microseconds there.
var clockFields = []string{"duration_ms", "ack_ms", "rtt_ms"}

// sameButClock reports whether two event lines are equal but for
// clockFields differing by less than 0.1 ms.
func sameButClock(a, b string) bool {
	var ma, mb map[string]any
	if json.Unmarshal([]byte(a), &ma) != nil || json.Unmarshal([]byte(b), &mb) != nil {
		return false
	}
	for _, f := range clockFields {
		x, okx := ma[f].(float64)
		y, oky := mb[f].(float64)
		if okx && oky && math.Abs(x-y) < 0.1 {
			delete(ma, f)
			delete(mb, f)
		}
	}
	return reflect.DeepEqual(ma, mb)
}
