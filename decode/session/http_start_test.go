package session

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// start is the request half of an exchange made by post or get.
func start(o obs.Obs) obs.Obs {
	x := *o.HTTP
	x.Status, x.RespBody, x.RespHeader, x.End = 0, nil, nil, x.Start
	return obs.Obs{Kind: obs.KindHTTPStart, Time: x.Start, HTTP: &x}
}

// A long-poll may return the ack before the POST carrying its event gets
// its "ok": with the request half observed first, the event still comes
// first and the ack gets its latency; the final exchange adds nothing.
func TestPostDecodedFromRequestHalf(t *testing.T) {
	p := post(10, 30, q4sid+"&t=b", `420["hello"]`)
	p.HTTP.ID = 77
	evs := run(NewTracker(Options{}), []obs.Obs{
		get(0, 5, q4+"&t=a", 200, open4),
		start(p),
		get(6, 20, q4sid+"&t=c", 200, `430["ok"]`),
		p,
	})
	var order []string
	var ack *event.Event
	for i := range evs {
		ev := &evs[i]
		if ev.Kind == event.KindPacket && ev.Type != "" {
			order = append(order, ev.Type)
			if ev.Type == "ACK" {
				ack = ev
			}
		}
	}
	if len(order) != 2 || order[0] != "EVENT" || order[1] != "ACK" {
		t.Fatalf("Socket.IO packets %v, want [EVENT ACK] once each", order)
	}
	if ack.AckMs == nil || *ack.AckMs != 10 {
		t.Fatalf("ack latency %v, want 10 ms", ack.AckMs)
	}
}

// A protocol-4 client sends its auth as a namespace query; the event shows
// it as the auth object, as the server sees it.
func TestEIO3ConnectQueryBecomesArgs(t *testing.T) {
	evs := run(NewTracker(Options{}), []obs.Obs{
		get(0, 5, "/socket.io/?EIO=3&transport=polling", 200, v3len(open3)),
		post(10, 12, q3sid+"&t=b", v3len("40/admin?token=1234&uid=abcd,")),
	})
	for _, ev := range evs {
		if ev.Type == "CONNECT" && ev.Dir == "c2s" {
			if ev.Nsp != "/admin" || string(ev.Args) != `{"token":"1234","uid":"abcd"}` {
				t.Fatalf("CONNECT nsp %q args %s", ev.Nsp, ev.Args)
			}
			return
		}
	}
	t.Fatal("no c2s CONNECT event")
}
