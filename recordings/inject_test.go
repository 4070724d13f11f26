package recordings

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// An injected fault (--inject) is a line of its own in a recording, so a
// replay still marks it and the diagnosis still names the rule.
func TestInjectLineRoundTrip(t *testing.T) {
	want := []obs.Obs{
		{Kind: obs.KindInject, Time: t0, Inject: &obs.Inject{Rule: "fail-polls=503/3", Action: "failed", Exchange: 7,
			Client: "127.0.0.1:5000", URL: "/socket.io/?EIO=4&transport=polling&sid=S", Detail: "GET answered 503 instead of relaying"}},
		{Kind: obs.KindInject, Time: t0, Inject: &obs.Inject{Rule: "drop-pongs", Action: "dropped", Conn: 9, Dir: decode.S2C,
			Client: "127.0.0.1:5000", URL: "?sid=S", Detail: "heartbeat pong dropped"}},
	}
	b := writeNative(t, sampleHeader(), want)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if got := lines[1]; got != `{"kind":"inject","ts":"2025-03-14T09:26:53.589793238Z","rule":"fail-polls=503/3","action":"failed","id":7,"client":"127.0.0.1:5000","url":"/socket.io/?EIO=4&transport=polling&sid=S","detail":"GET answered 503 instead of relaying"}` {
		t.Errorf("inject line:\n%s", got)
	}
	r, err := NewReader(bytes.NewReader(b), "inject.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if len(got) != len(want) {
		t.Fatalf("read %d observations, want %d (warnings %v)", len(got), len(want), r.Warnings())
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || !reflect.DeepEqual(got[i].Inject, want[i].Inject) {
			t.Errorf("observation %d: got %+v, want %+v", i, got[i].Inject, want[i].Inject)
		}
	}
	bad := bytes.Replace(b, []byte(`"rule":"drop-pongs"`), []byte(`"rule":""`), 1)
	r, err = NewReader(bytes.NewReader(bad), "bad.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r)
	if w := strings.Join(r.Warnings(), "\n"); !strings.Contains(w, "rule: missing") {
		t.Errorf("an inject line without its rule: warnings %q", w)
	}
}
