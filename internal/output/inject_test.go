package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Injected faults are told apart from the application's on plain lines,
// and the fault line names the rule (it is part of the summary).
func TestTextInjectLines(t *testing.T) {
	evs := []event.Event{
		{TS: at(0), Kind: event.KindInject, Sid: "S1", Transport: "websocket", Dir: "c2s", Rule: "drop-pongs", Action: "dropped", Data: "heartbeat pong\x1b[2J dropped"},
		{TS: at(1), Kind: event.KindInject, Sid: "S1", Transport: "polling", Rule: "fail-polls=503/3", Action: "failed", Data: "GET answered 503 instead of relaying"},
		{TS: at(2), Kind: event.KindFault, Sid: "S1", Fault: &event.Fault{Code: "pong_missing", Catalog: "F1", Severity: event.Error,
			Summary: "The server pinged session S1 … — injected by --inject drop-pongs", Fix: "f", Count: 1, Injected: "--inject drop-pongs"}},
	}
	var buf bytes.Buffer
	w := NewText(&buf, false)
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, want := range []string{
		"INJECTED drop-pongs websocket c2s: dropped heartbeat pong",
		"INJECTED fail-polls=503/3 polling: failed GET answered 503 instead of relaying",
		"injected by --inject drop-pongs",
	} {
		if i >= len(lines) || !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i+1, lines[min(i, len(lines)-1)], want)
		}
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("a control character from the wire reached the terminal: %q", buf.String())
	}
}
