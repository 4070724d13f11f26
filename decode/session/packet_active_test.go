package session

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// TestPollPacketActive: a polling exchange whose packets the active layer
// marked one by one yields packet events that each carry their own mark
// (and none for a packet it left alone), for forwarded bodies and for the
// exchange of what it did not forward alike.
func TestPollPacketActive(t *testing.T) {
	edit := &obs.Active{Rules: []string{"edit"}, Original: []byte(`42["a","orig"]`)}
	inj := &obs.Active{Rules: []string{"inject"}, Injected: true}
	fwd := post(10, 12, q4sid, "42[\"a\",\"new\"]\x1e42[\"b\"]\x1e42[\"c\"]")
	fwd.HTTP.Active = &obs.Active{Rules: []string{"edit", "inject"}, Injected: true}
	fwd.HTTP.PacketActive = []*obs.Active{edit, nil, inj}
	drop := &obs.Active{Rules: []string{"drop"}, Dropped: true}
	cons := &obs.Active{Consumed: true, Note: "ack"}
	gone := post(13, 14, q4sid, "42[\"d\"]\x1e431[1]")
	gone.HTTP.Active = &obs.Active{Rules: []string{"drop"}, Dropped: true, Consumed: true}
	gone.HTTP.PacketActive = []*obs.Active{drop, cons}
	evs := run(NewTracker(Options{}), []obs.Obs{get(0, 5, "/socket.io/?EIO=4&transport=polling", 200, open4),
		post(6, 7, q4sid, "40"), get(6, 8, q4sid, 200, `40{"sid":"x"}`), fwd, gone})
	want := map[string]string{"a": "edit", "b": "", "c": "inject", "d": "drop", "ack": "consumed"}
	got := map[string]string{}
	for _, ev := range evs {
		if ev.Kind != "packet" || (ev.Type != "EVENT" && ev.Type != "ACK") {
			continue
		}
		name := ev.Event
		if ev.Type == "ACK" {
			name = "ack"
		}
		mark := ""
		switch a := ev.Active; {
		case a == nil:
		case a.Consumed:
			mark = "consumed"
		case len(a.Rules) == 1:
			mark = a.Rules[0]
		default:
			mark = "mixed"
		}
		if name == "a" && (ev.Active == nil || ev.Active.Original != `42["a","orig"]`) {
			t.Errorf("a: mark %+v lacks its original", ev.Active)
		}
		got[name] = mark
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("packet %s: mark %q (seen %v), want %q", name, g, ok, w)
		}
	}
}
