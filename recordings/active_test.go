package recordings

import (
	"bytes"
	"reflect"
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
