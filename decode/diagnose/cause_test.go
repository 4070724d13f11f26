package diagnose

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// roundRobinOverlap: the long-poll GET of SID4 waits on the node that
// holds the session while the balancer sends the next GET to the other
// node, which answers 400 Session ID unknown. H2 sees two GETs in flight
// and the later one refused, but the cause is C2 (issue 12, point 7).
func roundRobinOverlap(w *wire) []obs.Obs {
	seq := w.polling()
	parked := w.get(6, 100, q4sid+"&t=b", 200, "6")
	w.upstream = "http://up:3001"
	bad := w.errJSON(10, 12, "GET", q4sid+"&t=c", 400, `{"code":1,"message":"Session ID unknown"}`)
	begin := *bad.HTTP
	begin.Status, begin.RespBody, begin.End = 0, nil, begin.Start
	return append(seq, obs.Obs{Kind: KindHTTPStart, Time: begin.Start, HTTP: &begin}, bad, parked)
}

func TestCausedFaultIsAttributed(t *testing.T) {
	e := New(Options{})
	evs := run(e, roundRobinOverlap(newWire()))
	var h2 *event.Fault
	for _, f := range e.Faults() {
		if f.Code == CodePollOverlap {
			h2 = &f
		}
		if f.Cause == "" && f.Code != CodeSidOtherUpstream && f.Code != CodeSessionUnknownLive {
			t.Errorf("a root cause besides C1/C2: %s %q", f.Code, f.Summary)
		}
	}
	if h2 == nil {
		t.Fatalf("no H2 at all (the wire has two GETs in flight, the later refused): %v", faultCodes(e.Faults()))
	}
	if h2.Cause != CodeSidOtherUpstream || h2.Severity != event.Info {
		t.Errorf("H2 cause %q severity %s, want cause %s and severity info", h2.Cause, h2.Severity, CodeSidOtherUpstream)
	}
	if want := "Follows from C2 sid_routed_to_other_upstream"; len(h2.Fix) < len(want) || h2.Fix[:len(want)] != want {
		t.Errorf("H2 fix %q, want it to point at C2", h2.Fix)
	}
	for _, ev := range evs {
		if ev.Fault != nil && ev.Fault.Code == CodePollOverlap && ev.Fault.Cause == "" {
			t.Errorf("an H2 event without its cause: %+v", ev.Fault)
		}
	}
}

// Without C1/C2 (one upstream), overlapping GETs are H2 as a root cause.
func TestOverlapWithoutCauseStaysRoot(t *testing.T) {
	w := newWire()
	seq := concat(w.polling(), []obs.Obs{
		w.errJSON(10, 12, "GET", q4sid+"&t=c", 400, ``),
		w.get(6, 100, q4sid+"&t=b", 200, "6"),
	})
	e := New(Options{})
	run(e, seq)
	for _, f := range e.Faults() {
		if f.Code == CodePollOverlap {
			if f.Cause != "" || f.Severity != event.Error {
				t.Errorf("H2 cause %q severity %s, want a root cause (error)", f.Cause, f.Severity)
			}
			return
		}
	}
	t.Fatalf("no H2: %v", faultCodes(e.Faults()))
}
