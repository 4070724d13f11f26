package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// csrSession is a WebSocket-only session with sid on conn whose socket on
// / got pid.
func csrSession(w *wire, at int, conn uint64, sid, connect, reply string) []obs.Obs {
	return concat(w.wsOnly(at, conn, strings.ReplaceAll(open4ws, "WSID", sid)), []obs.Obs{
		wsText(at+2, conn, c2s, connect),
		wsText(at+3, conn, s2c, reply),
	})
}

func csrRun(t *testing.T, second []obs.Obs, extra ...obs.Obs) ([]event.Fault, []event.Event) {
	t.Helper()
	w := newWire()
	seq := concat(
		csrSession(w, 0, 1, "A", "40", `40{"sid":"sock1","pid":"P1"}`),
		[]obs.Obs{wsText(10, 1, s2c, `42["news",1,"off1"]`)},
		csrSession(w, 20, 3, "C", "40", `40{"sid":"sock3","pid":"P3"}`),
		extra,
		[]obs.Obs{wsClose(1000, 1, "server", 0, false, "")},
		[]obs.Obs{wsText(1200, 3, s2c, `42["news",2,"off2"]`)},
		second,
	)
	e := New(Options{})
	var evs []event.Event
	tr := newTrackerFor(e, &evs)
	for _, o := range seq {
		tr.Observe(o, func(ev event.Event) { evs = append(evs, ev) })
	}
	return e.Faults(), evs
}

func TestCSRRecoveryFailed(t *testing.T) {
	fs, evs := csrRun(t, csrSession(newWireAt(10), 1500, 2, "B", `40{"pid":"P1","offset":"off1"}`, `40{"sid":"sock2","pid":"P2"}`))
	if len(fs) != 1 || fs[0].Code != CodeCSRFailed || fs[0].Catalog != "L1" {
		t.Fatalf("faults %v, want csr_recovery_failed", faultCodes(fs))
	}
	for _, want := range []string{"pid P1", "503 ms after its previous session A ended", "new socket id sock2 instead of sock1", "missed 1 events"} {
		if !strings.Contains(fs[0].Summary, want) {
			t.Errorf("summary %q lacks %q", fs[0].Summary, want)
		}
	}
	if r := recoveredFlag(evs, "B"); r == nil || *r {
		t.Errorf("the server's CONNECT on B should say recovered=false, got %v", r)
	}
}

func TestCSRRecovered(t *testing.T) {
	fs, evs := csrRun(t, csrSession(newWireAt(10), 1500, 2, "B", `40{"pid":"P1","offset":"off1"}`, `40{"sid":"sock1","pid":"P1"}`))
	if len(fs) != 0 {
		t.Fatalf("faults %v on a recovered socket", faultCodes(fs))
	}
	if r := recoveredFlag(evs, "B"); r == nil || !*r {
		t.Errorf("the server's CONNECT on B should say recovered=true, got %v", r)
	}
}

// socket.io #5538: the pid comes back without an offset; the failed
// recovery that follows is attributed to it.
func TestCSROffsetMissing(t *testing.T) {
	fs, _ := csrRun(t, csrSession(newWireAt(10), 1500, 2, "B", `40{"pid":"P1"}`, `40{"sid":"sock2","pid":"P2"}`))
	got := map[string]string{}
	for _, f := range fs {
		got[f.Code] = f.Cause
	}
	if _, ok := got[CodeCSROffsetMissing]; !ok || got[CodeCSRFailed] != CodeCSROffsetMissing || len(got) != 2 {
		t.Fatalf("faults %v, want csr_offset_missing and csr_recovery_failed caused by it", faultCodes(fs))
	}
}

func TestCSRPidNotSent(t *testing.T) {
	fs, _ := csrRun(t, csrSession(newWireAt(10), 1500, 2, "B", `40`, `40{"sid":"sock2","pid":"P2"}`))
	if len(fs) != 1 || fs[0].Code != CodeCSRPidNotSent {
		t.Fatalf("faults %v, want csr_pid_not_sent", faultCodes(fs))
	}
	if !strings.Contains(fs[0].Summary, "pid P1, session A") {
		t.Errorf("summary %q", fs[0].Summary)
	}
}

// A client that said goodbye (DISCONNECT) is not expected to recover.
func TestCSRNoRecoveryAfterDisconnect(t *testing.T) {
	fs, _ := csrRun(t, csrSession(newWireAt(10), 1500, 2, "B", `40`, `40{"sid":"sock2","pid":"P2"}`), wsText(900, 1, c2s, "41"))
	if len(fs) != 0 {
		t.Fatalf("faults %v after a client DISCONNECT", faultCodes(fs))
	}
}

func TestLastString(t *testing.T) {
	for in, want := range map[string]string{`[1,"off"]`: "off", `["off"]`: "off", `[{"a":"b"},"x-1"] `: "x-1", `[1]`: "", `["a\"b"]`: ""} {
		got, _ := lastString([]byte(in))
		if got != want {
			t.Errorf("lastString(%s) = %q, want %q", in, got, want)
		}
	}
}

func recoveredFlag(evs []event.Event, sid string) *bool {
	for _, ev := range evs {
		if ev.Sid == sid && ev.Type == "CONNECT" && ev.Dir == "s2c" {
			return ev.Recovered
		}
	}
	return nil
}
