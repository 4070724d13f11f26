package proxy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

type editEvent struct{}

func (editEvent) Name() string { return "edit-it" }
func (editEvent) OnMessage(c *active.Conn, m *active.Message) {
	if m.SIO != nil && m.SIO.EventName() == "edit" {
		m.SetArgs(json.RawMessage(`["edit","E"]`), "edit-it")
	}
}

// TestActivePollingPacketMarks: the observations of an active polling
// POST mark each packet with what was done to it (obs.HTTPExchange
// PacketActive), the dropped one in the exchange of what was not
// forwarded, an untouched one with nothing.
func TestActivePollingPacketMarks(t *testing.T) {
	up := &pollUpstream{release: make(chan struct{})}
	back := backend(t, up)
	e := active.New(active.Options{})
	for _, a := range []active.Actor{dropSecret{}, editEvent{}} {
		if _, err := e.Register(a); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, Options{Active: e}, back.URL)
	resp, err := testClient(t).Post(h.url+"/socket.io/?EIO=4&transport=polling&sid=s1", "text/plain;charset=UTF-8",
		strings.NewReader("42[\"secret\",1]\x1e42[\"edit\",\"x\"]\x1e42[\"keep\",2]"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	marksOf := func(ex *obs.HTTPExchange) string {
		var s []string
		for _, a := range ex.PacketActive {
			switch {
			case a == nil:
				s = append(s, "-")
			case a.Dropped:
				s = append(s, "dropped:"+strings.Join(a.Rules, ","))
			case a.Original != nil:
				s = append(s, "edited:"+strings.Join(a.Rules, ",")+":"+string(a.Original))
			default:
				s = append(s, strings.Join(a.Rules, ","))
			}
		}
		return strings.Join(s, " ")
	}
	gone := h.next(t, obs.KindHTTP).HTTP
	if got, want := marksOf(gone), "dropped:drop-secret"; string(gone.ReqBody) != `42["secret",1]` || got != want {
		t.Fatalf("not-forwarded exchange %q marks %q, want %q", gone.ReqBody, got, want)
	}
	sent := h.next(t, obs.KindHTTP).HTTP
	if got, want := marksOf(sent), `edited:edit-it:42["edit","x"] -`; got != want {
		t.Fatalf("forwarded exchange %q marks %q, want %q", sent.ReqBody, got, want)
	}
	if got := up.got(); len(got) != 1 || got[0] != "42[\"edit\",\"E\"]\x1e42[\"keep\",2]" {
		t.Fatalf("upstream got %q", got)
	}
}
