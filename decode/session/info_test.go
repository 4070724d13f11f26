package session

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/output"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestSessionsSnapshot(t *testing.T) {
	tr := NewTracker(Options{})
	run(tr, scenarios[0].seq()[:13]) // up to the pong, before the close
	ss := tr.Sessions()
	if len(ss) != 1 {
		t.Fatalf("%d sessions, want 1", len(ss))
	}
	s := ss[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"sid", s.Sid, "SID4"},
		{"transport", s.Transport, "websocket"},
		{"upgrade", s.Upgrade, "websocket"},
		{"eio", s.EIO, 4},
		{"namespaces", len(s.Namespaces), 1},
		{"socket id", s.Namespaces[0].SocketID, "sock1"},
		{"ns state", s.Namespaces[0].State, "connected"},
		// c2s: 40, 3, 2probe, 5, 42…, 3; s2c: open, 40…, 2, 3probe, 6, 2
		{"packets c2s", s.PacketsC2S, int64(6)},
		{"packets s2c", s.PacketsS2C, int64(6)},
		{"bytes c2s", s.BytesC2S, int64(2 + 1 + 6 + 1 + len(`42["hello","world"]`) + 1)},
		{"rtt", s.PingRTT, 2 * time.Millisecond},
		{"opened", s.Opened, ms(5)},
		{"last activity", s.LastActivity, ms(72)},
		{"closed", s.Closed, false},
		{"upstreams", strings.Join(s.Upstreams, ","), "http://up:3000"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	run(tr, scenarios[0].seq()[13:])
	s = tr.Sessions()[0]
	if !s.Closed || s.Reason != "transport close" || s.By != "client" || s.Code != 1000 {
		t.Errorf("after close: closed=%v reason=%q by=%q code=%d", s.Closed, s.Reason, s.By, s.Code)
	}
	// Closed sessions are forgotten after Retain.
	tr.Tick(ms(100).Add(3*time.Minute), func(event.Event) {})
	if n := len(tr.Sessions()); n != 0 {
		t.Errorf("%d sessions after retention, want 0", n)
	}
}

func TestMaxSessions(t *testing.T) {
	tr := NewTracker(Options{MaxSessions: 2})
	for i, sid := range []string{"A", "B", "C"} {
		open := `0{"sid":"` + sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`
		run(tr, []obs.Obs{get(i*10, i*10+1, q4, 200, open)})
	}
	var sids []string
	for _, s := range tr.Sessions() {
		sids = append(sids, s.Sid)
	}
	if got := strings.Join(sids, ","); got != "B,C" {
		t.Errorf("sessions %s, want B,C (oldest evicted)", got)
	}
}

// recorder is a Diagnoser that notes what it was shown and raises one fault.
type recorder struct {
	observed []string
	packets  []string
	ticks    int
}

func (r *recorder) Observe(o obs.Obs, s *Session, emit func(event.Event)) {
	sid := "-"
	if s != nil {
		sid = s.Sid
	}
	r.observed = append(r.observed, string(o.Kind)+":"+sid)
}

func (r *recorder) Packet(ev *event.Event, s *Session, emit func(event.Event)) {
	r.packets = append(r.packets, string(ev.Kind)+":"+ev.Engine+ev.Action)
	if ev.Engine == "open" {
		for range 2 { // a repeat must not count twice
			emit(event.Event{TS: ev.TS, Kind: event.KindFault, Sid: s.Sid, Fault: &event.Fault{Code: "test_fault", Count: 1}})
		}
	}
}

func (r *recorder) Tick(now time.Time, emit func(event.Event)) { r.ticks++ }

func TestDiagnoserHook(t *testing.T) {
	r := &recorder{}
	tr := NewTracker(Options{Diagnoser: r})
	evs := run(tr, []obs.Obs{get(0, 1, q4, 200, open4), get(2, 3, "/x", 200, ""), post(4, 5, q4sid, "3"), tick(6)})
	if got, want := strings.Join(r.observed, " "), "http:SID4 http:- http:SID4"; got != want {
		t.Errorf("Observe saw %q, want %q", got, want)
	}
	if got, want := strings.Join(r.packets, " "), "http: session:open packet:open packet:pong http:"; got != want {
		t.Errorf("Packet saw %q, want %q", got, want)
	}
	if r.ticks != 1 {
		t.Errorf("Tick called %d times", r.ticks)
	}
	faults := 0
	for _, ev := range evs {
		if ev.Kind == event.KindFault {
			faults++
		}
	}
	if faults != 2 || tr.Sessions()[0].Faults != 1 {
		t.Errorf("%d fault events, session fault count %d; want 2 and 1", faults, tr.Sessions()[0].Faults)
	}
}

// TestGoldenJSON pins the --json output of whole scenarios.
func TestGoldenJSON(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := output.NewJSON(&buf)
			for _, ev := range run(NewTracker(Options{}), sc.seq()) {
				if err := w.Write(&ev); err != nil {
					t.Fatal(err)
				}
			}
			w.Flush()
			path := filepath.Join("testdata", strings.ReplaceAll(sc.name, " ", "_")+".jsonl")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("--json output differs from %s (run with -update if intended)\n%s", path, buf.Bytes())
			}
		})
	}
}
