package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestAckTimeout(t *testing.T) {
	w := newWire()
	seq := concat(w.wsOnly(0, 1, open4ws), []obs.Obs{
		wsText(2, 1, c2s, "40"),
		wsText(3, 1, s2c, `40{"sid":"s1"}`),
		wsText(10, 1, c2s, `421["save",{"a":1}]`),
		wsText(11, 1, c2s, `422["save",{"a":2}]`),
		wsText(12, 1, c2s, `423["load"]`),
		wsText(20, 1, s2c, `433[]`), // "load" answered
		tick(5000),
		tick(10_005),
	})
	e := New(Options{})
	run(e, seq)
	if fs := e.Faults(); len(fs) != 0 {
		t.Fatalf("before --ack-timeout: %v", faultCodes(fs))
	}
	run2 := append(seq, tick(10_020), tick(10_100), tick(12_000))
	e = New(Options{})
	run(e, run2)
	fs := e.Faults()
	if len(fs) != 1 {
		t.Fatalf("faults %v, want one ack_timeout for \"save\"", faultCodes(fs))
	}
	f := fs[0]
	if f.Code != CodeAckTimeout || f.Catalog != "G5" || f.Count != 1 {
		t.Errorf("got %s/%s ×%d", f.Code, f.Catalog, f.Count)
	}
	for _, want := range []string{`"save"`, "ack id 1, 2", "within 10.0 s", "server"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	if !strings.Contains(f.Fix, `handler for "save"`) {
		t.Errorf("fix %q does not name the event", f.Fix)
	}
}

// The ACK lost with the session: reported at the end, per event name; an
// EVENT sent just before the end had no time for its reply.
func TestAckLostAtClose(t *testing.T) {
	w := newWire()
	seq := concat(w.wsOnly(0, 1, open4ws), []obs.Obs{
		wsText(2, 1, c2s, "40"),
		wsText(3, 1, s2c, `40{"sid":"s1"}`),
		wsText(100, 1, s2c, `427["question","?"]`),
		wsText(1900, 1, c2s, `421["late"]`),
		wsClose(2000, 1, "server", 0, false, "read: connection reset by peer"),
	})
	e := New(Options{AckTimeout: -1})
	run(e, seq)
	var got []string
	for _, f := range e.Faults() {
		if f.Code == CodeAckTimeout {
			got = append(got, f.Summary)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], `"question"`) || !strings.Contains(got[0], "session ended") || !strings.Contains(got[0], "server's EVENT") {
		t.Fatalf("ack faults %q, want one for the server's \"question\" that the client never answered", got)
	}
}

func TestAckTimeoutOptionsDefault(t *testing.T) {
	if d := New(Options{}).opts.AckTimeout; d != 10*time.Second {
		t.Errorf("default AckTimeout %v, want 10 s", d)
	}
}
