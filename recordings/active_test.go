package recordings

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// A recording keeps the active layer's marks: the original beside what was
// sent, and injected, dropped and refused messages.
func TestActiveRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	in := []obs.Obs{
		{Kind: obs.KindWSMsg, Time: at, WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.C2S, Opcode: 1, Data: []byte(`42["chat","HI"]`),
			Active: &obs.Active{Rules: []string{"r1"}, Original: []byte(`42["chat","hi"]`), Reframed: true}}},
		{Kind: obs.KindWSMsg, Time: at, WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.S2C, Opcode: 2, Data: []byte{4, 0xff},
			Active: &obs.Active{Rules: []string{"inject"}, Injected: true}}},
		{Kind: obs.KindHTTP, Time: at, HTTP: &obs.HTTPExchange{ID: 2, Method: "GET", URL: "/socket.io/?EIO=4&transport=websocket", Status: 400,
			Active: &obs.Active{Rules: []string{"refuse"}, Note: "upgrade refused by sioproxy"}}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{Mode: "reverse"})
	for _, o := range in {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	r, err := NewReader(&buf, "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range in {
		out, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		var got, want *obs.Active
		if o.WSMsg != nil {
			got, want = out.WSMsg.Active, o.WSMsg.Active
		} else {
			got, want = out.HTTP.Active, o.HTTP.Active
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d: active %+v, want %+v", i, got, want)
		}
	}
}

// replay --to re-sends what the server actually received: a message
// sioproxy dropped is not re-sent, and one it injected as the server is not
// expected from the real server.
func TestReplayToSkipsWhatSioproxyDidItself(t *testing.T) {
	r, err := NewReader(wsRecording(t), "ws.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var all []obs.Obs
	for {
		o, err := r.Next()
		if err != nil {
			break
		}
		all = append(all, o)
	}
	last := all[len(all)-1]
	extra := []obs.Obs{
		{Kind: obs.KindWSMsg, Time: last.Time, WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.C2S, Opcode: 1,
			Data: []byte(`42["never-arrived",1]`), Active: &obs.Active{Rules: []string{"drop"}, Dropped: true}}},
		{Kind: obs.KindWSMsg, Time: last.Time, WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.S2C, Opcode: 1,
			Data: []byte(`42["from-sioproxy",2]`), Active: &obs.Active{Rules: []string{"inject"}, Injected: true}}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{Mode: "reverse"})
	for _, o := range append(all, extra...) {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	url, saw := replayApp(t, false)
	r, err = NewReader(&buf, "active.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ReplayTo(context.Background(), r, ReplayToOptions{URL: url, Grace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.Sessions[0].Diffs; len(d) != 0 {
		t.Fatalf("differences: %+v", d)
	}
	for _, s := range saw() {
		if strings.Contains(s, "never-arrived") {
			t.Fatalf("replay re-sent a dropped message: %q", saw())
		}
	}
}
