package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// TestDiffFlows checks the comparator the scenarios rely on: equal flows
// give no diff, and each kind of difference is named.
func TestDiffFlows(t *testing.T) {
	id := func(v int64) *int64 { return &v }
	node := []wirePacket{
		{Side: "client", Dir: "sent", Sid: "s1", Type: "EVENT", Nsp: "/", ID: id(0), Event: "hello", Args: json.RawMessage(`[{"b":2,"a":1}]`)},
		{Side: "client", Dir: "recv", Sid: "s1", Type: "ACK", Nsp: "/", ID: id(0), Args: json.RawMessage(`[{"_binary":"AQI="}]`)},
	}
	good := []event.Event{
		{Kind: event.KindPacket, Sid: "s1", Dir: "c2s", Type: "EVENT", Nsp: "/", ID: id(0), Event: "hello", Args: json.RawMessage(`[{"a":1,"b":2.0}]`)},
		{Kind: event.KindHTTP, Method: "GET"},
		{Kind: event.KindPacket, Sid: "s1", Dir: "s2c", Engine: "ping"},
		{Kind: event.KindPacket, Sid: "s1", Dir: "s2c", Type: "ACK", ID: id(0), Args: json.RawMessage(` [ {"_binary":"AQI="} ] `)},
	}
	if d := diffFlows("node", nodeFlows(node), "sioproxy", proxyFlows(good)); d != "" {
		t.Fatalf("equal flows reported as different:\n%s", d)
	}
	mutate := func(f func(evs []event.Event) []event.Event) []event.Event {
		evs := append([]event.Event(nil), good...)
		return f(evs)
	}
	cases := []struct {
		name string
		evs  []event.Event
		want string
	}{
		{"args", mutate(func(e []event.Event) []event.Event { e[0].Args = json.RawMessage(`[{"a":1}]`); return e }), "packet 0 differs"},
		{"event name", mutate(func(e []event.Event) []event.Event { e[0].Event = "hell"; return e }), `event="hell"`},
		{"ack id", mutate(func(e []event.Event) []event.Event { e[3].ID = id(1); return e }), "id=1"},
		{"nsp", mutate(func(e []event.Event) []event.Event { e[3].Nsp = "/admin"; return e }), "/admin"},
		{"missing", mutate(func(e []event.Event) []event.Event { return e[:3] }), "missing from packet 0"},
		{"extra", append(append([]event.Event(nil), good...), event.Event{Kind: event.KindPacket, Sid: "s1", Dir: "c2s", Type: "DISCONNECT", Nsp: "/"}), "extra from packet 1"},
		{"wrong sid", mutate(func(e []event.Event) []event.Event { e[0].Sid = "s2"; return e }), `sid "s2" c2s`},
		{"order", mutate(func(e []event.Event) []event.Event {
			e = append(e, event.Event{Kind: event.KindPacket, Sid: "s1", Dir: "c2s", Type: "DISCONNECT", Nsp: "/"})
			e[0], e[4] = e[4], e[0]
			return e
		}), "packet 0 differs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := diffFlows("node", nodeFlows(node), "sioproxy", proxyFlows(c.evs))
			if !strings.Contains(d, c.want) {
				t.Errorf("diff %q does not mention %q", d, c.want)
			}
		})
	}
}

func TestSamePktEIO3Query(t *testing.T) {
	want := pkt{Type: "CONNECT", Nsp: "/admin?token=secret"}
	for _, c := range []struct {
		got  pkt
		same bool
	}{
		{pkt{Type: "CONNECT", Nsp: "/admin?token=secret"}, true},
		{pkt{Type: "CONNECT", Nsp: "/admin", Args: `{"token":"secret"}`}, true},
		{pkt{Type: "CONNECT", Nsp: "/admin"}, false},
		{pkt{Type: "CONNECT", Nsp: "/admin", Args: `{"token":"other"}`}, false},
		{pkt{Type: "EVENT", Nsp: "/admin", Args: `{"token":"secret"}`}, false},
	} {
		if samePkt(want, c.got) != c.same {
			t.Errorf("samePkt(%v, %v) = %v", want, c.got, !c.same)
		}
	}
}
