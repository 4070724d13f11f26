package diagnose

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func l2Faults(e *Engine, code string) []string {
	var out []string
	for _, f := range e.Faults() {
		if f.Code == code {
			out = append(out, f.Summary)
		}
	}
	return out
}

func TestReconnectStormOfFailures(t *testing.T) {
	w := newWire()
	w.upstream = "http://127.0.0.1:3999"
	var seq []obs.Obs
	for i := range 25 {
		w.client = fmt.Sprintf("10.0.0.%d:%d", i%5, 4000+i)
		seq = append(seq, dialFail(w, i*80, i*80+1, q4+"&t="+fmt.Sprint(i)))
	}
	e := New(Options{})
	run(e, seq)
	got := l2Faults(e, CodeReconnectStorm)
	if len(got) != 1 || !strings.Contains(got[0], "20 handshakes") || !strings.Contains(got[0], "from 5 client hosts, 20 of them failed (100 %)") {
		t.Fatalf("storm faults %q (all: %v)", got, faultCodes(e.Faults()))
	}
}

func TestReconnectStormAfterMassDrop(t *testing.T) {
	w := newWire()
	var seq []obs.Obs
	for i := range 10 {
		sid := fmt.Sprint("D", i)
		seq = append(seq, csrSession(w, i, uint64(i+1), sid, "40", `40{"sid":"s"}`)...)
	}
	for i := range 10 {
		seq = append(seq, wsClose(5000+i*20, uint64(i+1), "server", 0, false, ""))
	}
	for i := range 20 {
		sid := fmt.Sprint("R", i)
		seq = append(seq, csrSession(w, 6000+i*100, uint64(100+i), sid, "40", `40{"sid":"s"}`)...)
	}
	e := New(Options{})
	run(e, seq)
	got := l2Faults(e, CodeReconnectStorm)
	if len(got) != 1 || !strings.Contains(got[0], "0 of them failed") || !strings.Contains(got[0], "after 10 sessions dropped within a second") {
		t.Fatalf("storm faults %q (all: %v)", got, faultCodes(e.Faults()))
	}
}

func TestReconnectWithoutBackoff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		intervals []int // ms between a failure and the next attempt
		want      string
	}{
		{"constant 100 ms", []int{100, 100, 100, 100, 100, 100}, "constant interval of about 100 ms"},
		{"jittered but not growing", []int{150, 320, 90, 260, 200, 140}, "without growing: no exponential backoff"},
		{"socket.io-client defaults", []int{1200, 1700, 4400, 5900, 4100, 6300}, ""},
		{"socket.io-client at reconnectionDelayMax (capped after jitter)", []int{5000, 5000, 5000, 5000, 5000, 5000}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWire()
			at := 0
			var seq []obs.Obs
			for i, d := range append([]int{0}, tc.intervals...) {
				at += d
				seq = append(seq, dialFail(w, at, at+1, q4+"&t="+fmt.Sprint(i)))
				at++
			}
			e := New(Options{})
			run(e, seq)
			got := l2Faults(e, CodeReconnectNoBackoff)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("false alarm: %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("backoff faults %q, want one with %q", got, tc.want)
			}
		})
	}
}
