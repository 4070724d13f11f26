package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// A folded fault is printed in full once; its repeats are one short count
// line each, and a fault caused by another one is one line naming its
// cause (issue 12, point 7).
func TestTextFaultRepeatsAndCauses(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 3, 4, 0, time.UTC)
	c1 := func(n int, ev ...string) event.Event {
		return event.Event{TS: at, Kind: event.KindFault, Sid: "abc", Client: "127.0.0.1:5000" + string(rune('0'+n)), Fault: &event.Fault{
			Code: "session_unknown_live", Catalog: "C1", Severity: event.Error, Summary: "session abc was alive",
			Evidence: ev, Fix: "Enable sticky sessions.", Count: n, First: at, Last: at,
		}}
	}
	h2 := event.Event{TS: at, Kind: event.KindFault, Sid: "abc", Client: "127.0.0.1:5001", Fault: &event.Fault{
		Code: "polling_overlap", Catalog: "H2", Severity: event.Info, Summary: "two GETs", Evidence: []string{"GET #3"},
		Fix: "Follows from C2", Cause: "sid_routed_to_other_upstream", Count: 9, First: at, Last: at,
	}}
	var buf bytes.Buffer
	w := NewText(&buf, false)
	for _, ev := range []event.Event{c1(1, "GET #1"), c1(2, "GET #1", "GET #2"), c1(3, "GET #1", "GET #2", "GET #3"), h2} {
		if err := w.Write(&ev); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	want := []string{
		"12:03:04.000 abc    fault error C1 session_unknown_live: session abc was alive",
		"                    - GET #1",
		"                    fix: Enable sticky sessions.",
		"12:03:04.000 abc    fault error C1 session_unknown_live ×2 again: session abc was alive",
		"12:03:04.000 abc    fault error C1 session_unknown_live ×3 again: session abc was alive",
		"12:03:04.000 abc    fault info H2 polling_overlap ×9 ↳ caused by sid_routed_to_other_upstream: two GETs",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("text output:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
