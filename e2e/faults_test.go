package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Fault scenarios (issue 4, "Tests → End to end"): real socket.io servers
// from npm configured wrongly, and the exact fault sioproxy must report in
// its --json output. Each scenario first waits for the wire evidence (the
// HTTP and session lines the fault is derived from), then for the fault, so
// a failure says which of the two is missing.

// Generous bounds: the machine may be small and busy; a passing test never
// waits this long. faultTimeout bounds the wait for the wire evidence;
// faultAfterEvidence the wait for the fault once its evidence is printed
// (rules fire on the observation itself, or on a timer of at most the
// session's pingInterval+pingTimeout plus slack).
const (
	faultTimeout       = 60 * time.Second
	faultAfterEvidence = 20 * time.Second
)

// faultWant is the fault a scenario must produce.
type faultWant struct {
	catalog []string // acceptable catalogue ids, e.g. {"B1", "B2"}
	code    []string // acceptable snake_case codes; empty accepts any
	// sid the fault must carry; "" when the fault concerns no session (a
	// refused handshake, a preflight, an upstream dial).
	sid string
	// summary: each regexp (case-insensitive) must match the summary
	// sentence, which has to name the actual values.
	summary []string
	// evidence: each regexp must match the summary or one evidence line.
	evidence []string
	// fix: each regexp must match the fix, which names what was seen.
	fix []string
}

func (w faultWant) String() string {
	s := "fault " + strings.Join(w.catalog, "/")
	if len(w.code) > 0 {
		s += " (" + strings.Join(w.code, "|") + ")"
	}
	if w.sid != "" {
		s += " for sid " + w.sid
	}
	return s
}

// expectFault waits for the first fault line of w's catalogue ids and
// checks its code, sid, summary and evidence. It returns the fault line (or
// nil) and its index in sioproxy's output.
func expectFault(t *testing.T, px *sioproxy, w faultWant) (*event.Event, int) {
	t.Helper()
	find := func(evs []event.Event) int {
		for i, e := range evs {
			if e.Kind == event.KindFault && e.Fault != nil && slices.Contains(w.catalog, e.Fault.Catalog) {
				return i
			}
		}
		return -1
	}
	evs, ok := px.waitEvents(t, faultAfterEvidence, func(evs []event.Event) bool { return find(evs) >= 0 })
	if !ok {
		t.Errorf("sioproxy reported no %s within %v\n%s", w, faultAfterEvidence, describeOutput(evs))
		return nil, -1
	}
	i := find(evs)
	e := evs[i]
	f := e.Fault
	line := brief(e)
	b, _ := json.Marshal(e)
	t.Logf("sioproxy reported: %s", b)
	if len(w.code) > 0 && !slices.Contains(w.code, f.Code) {
		t.Errorf("%s: code %q, want one of %q: %s", w, f.Code, w.code, line)
	}
	if w.sid != "" && e.Sid != w.sid {
		t.Errorf("%s: the fault line has sid %q, want %q: %s", w, e.Sid, w.sid, line)
	}
	switch f.Severity {
	case event.Info, event.Warning, event.Error:
	default:
		t.Errorf("%s: severity %q is not info, warning or error: %s", w, f.Severity, line)
	}
	if f.Fix == "" {
		t.Errorf("%s: no fix: %s", w, line)
	}
	if f.Count < 1 || f.First.IsZero() || f.Last.Before(f.First) {
		t.Errorf("%s: count %d, first %v, last %v: want count ≥ 1 and first ≤ last: %s", w, f.Count, f.First, f.Last, line)
	}
	for _, re := range w.summary {
		if !regexp.MustCompile("(?i)" + re).MatchString(f.Summary) {
			t.Errorf("%s: the summary does not match /%s/: %q", w, re, f.Summary)
		}
	}
	for _, re := range w.fix {
		if !regexp.MustCompile("(?i)" + re).MatchString(f.Fix) {
			t.Errorf("%s: the fix does not match /%s/: %q", w, re, f.Fix)
		}
	}
	all := strings.Join(append([]string{f.Summary}, f.Evidence...), "\n")
	for _, re := range w.evidence {
		if !regexp.MustCompile("(?i)" + re).MatchString(all) {
			t.Errorf("%s: neither summary nor evidence matches /%s/: summary %q, evidence %q", w, re, f.Summary, f.Evidence)
		}
	}
	return &e, i
}

// expectWire waits for an event matching cond: the observation a fault is
// derived from. It returns the first such event's index, or -1 after
// reporting what sioproxy printed instead.
func expectWire(t *testing.T, px *sioproxy, what string, cond func(event.Event) bool) int {
	t.Helper()
	find := func(evs []event.Event) int {
		return slices.IndexFunc(evs, cond)
	}
	evs, ok := px.waitEvents(t, faultTimeout, func(evs []event.Event) bool { return find(evs) >= 0 })
	if !ok {
		t.Errorf("no wire evidence in sioproxy's --json output within %v: want %s\n%s", faultTimeout, what, describeOutput(evs))
		return -1
	}
	return find(evs)
}

// httpLine matches an http line by method (any if ""), status (any if 0)
// and a substring of the request URI.
func httpLine(method string, status int, pathPart string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.Kind == event.KindHTTP && (method == "" || e.Method == method) &&
			(status == 0 || e.Status == status) && strings.Contains(e.Path, pathPart)
	}
}

// sessionLine matches a session line with the action, for sid (any if "").
func sessionLine(action, sid string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.Kind == event.KindSession && e.Action == action && (sid == "" || e.Sid == sid)
	}
}

// describeOutput summarises sioproxy's output for a failure message: every
// fault in full, then the HTTP and session lines (the wire evidence).
func describeOutput(evs []event.Event) string {
	if len(evs) == 0 {
		return "sioproxy printed no --json line at all"
	}
	var b strings.Builder
	counts := map[event.Kind]int{}
	for _, e := range evs {
		counts[e.Kind]++
	}
	fmt.Fprintf(&b, "sioproxy printed %d lines %v; faults, errors, HTTP, session and CONNECT/DISCONNECT lines:", len(evs), counts)
	n := 0
	for _, e := range evs {
		switch e.Kind {
		case event.KindFault, event.KindHTTP, event.KindSession, event.KindError, event.KindDrop:
		case event.KindPacket:
			if e.Type == "" || e.Type == "EVENT" || e.Type == "ACK" {
				continue // ordinary traffic; CONNECT, CONNECT_ERROR and DISCONNECT show the outcome
			}
		default:
			continue
		}
		if n++; n > 60 {
			b.WriteString("\n  …")
			break
		}
		b.WriteString("\n  " + brief(e))
	}
	return b.String()
}

// faultLines returns the fault lines among evs.
func faultLines(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == event.KindFault {
			out = append(out, e)
		}
	}
	return out
}

// expectNoFaults waits until sioproxy has logged the close of every session
// in sids, then fails the test for any fault line: healthy traffic must not
// raise one (a false alarm is as much a bug as a miss). The e2e scenarios
// that already hold their events call checkNoFaults instead.
func expectNoFaults(t *testing.T, px *sioproxy, sids ...string) {
	t.Helper()
	closed := func(evs []event.Event) bool {
		for _, sid := range sids {
			if slices.IndexFunc(evs, sessionLine("close", sid)) < 0 {
				return false
			}
		}
		return true
	}
	evs, ok := px.waitEvents(t, settleTimeout, closed)
	if !ok {
		t.Errorf("sioproxy did not log the close of sessions %q within %v\n%s", sids, settleTimeout, describeOutput(evs))
	}
	evs = px.events(t)
	for _, f := range faultLines(evs) {
		t.Errorf("healthy traffic, but sioproxy reported a fault: %s", brief(f))
	}
}

// faultResult is what fault-client.js or a browser page reported.
type faultResult struct {
	Connected    bool   `json:"connected"`
	Sid          string `json:"sid"`
	Transport    string `json:"transport"`
	ConnectError *struct {
		Message     string          `json:"message"`
		Description json.RawMessage `json:"description"`
		Data        json.RawMessage `json:"data"`
	} `json:"connect_error"`
	Disconnect *struct {
		Reason      string `json:"reason"`
		Description string `json:"description"`
	} `json:"disconnect"`
}

func (r *faultResult) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// runFaultClient runs one fault-client.js scenario against url and returns
// its result line.
func runFaultClient(t *testing.T, url, scenario string, opts map[string]any) *faultResult {
	t.Helper()
	p := startNodeClient(t, "fault-client.js", url, scenario, opts)
	if err := p.wait(clientTimeout); err != nil {
		t.Fatalf("fault-client.js %s against %s: %v\n%s", scenario, url, err, p.describe())
	}
	for _, l := range p.stdout.all() {
		var m struct {
			Result *faultResult `json:"result"`
		}
		if json.Unmarshal([]byte(l), &m) == nil && m.Result != nil {
			return m.Result
		}
	}
	t.Fatalf("fault-client.js %s printed no result line\n%s", scenario, p.describe())
	return nil
}

// wantConnectError fails the test unless the client was refused with a
// connect_error whose message matches re.
func wantConnectError(t *testing.T, r *faultResult, re string) {
	t.Helper()
	if r.ConnectError == nil {
		t.Fatalf("the client should have been refused with a connect_error /%s/, got %s", re, r)
	}
	if !regexp.MustCompile(re).MatchString(r.ConnectError.Message) {
		t.Errorf("connect_error message %q does not match /%s/ (result %s)", r.ConnectError.Message, re, r)
	}
}

// sessionSid is the sid of the first session sioproxy saw opened, for
// faults whose client never learned it (the browser blocked the answer).
func sessionSid(t *testing.T, px *sioproxy) string {
	t.Helper()
	evs, ok := px.waitEvents(t, faultTimeout, func(evs []event.Event) bool {
		return slices.IndexFunc(evs, sessionLine("open", "")) >= 0
	})
	if !ok {
		t.Errorf("sioproxy logged no session open line within %v (the handshake succeeded upstream)\n%s", faultTimeout, describeOutput(evs))
		return ""
	}
	return evs[slices.IndexFunc(evs, sessionLine("open", ""))].Sid
}

// matchI reports whether the case-insensitive regexp re matches s.
func matchI(re, s string) bool {
	return regexp.MustCompile("(?i)" + re).MatchString(s)
}

// expectOnlyFaults fails the test for any fault line whose catalogue id is
// not in allowed: a scenario's misconfiguration must not also raise
// unrelated faults (false alarms next to the right one).
func expectOnlyFaults(t *testing.T, px *sioproxy, allowed ...string) {
	t.Helper()
	for _, f := range faultLines(px.events(t)) {
		if f.Fault == nil || !slices.Contains(allowed, f.Fault.Catalog) {
			t.Errorf("unexpected fault besides %q: %s", allowed, brief(f))
		}
	}
}
