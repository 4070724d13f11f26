package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// healthy is traffic of working applications; none of it may raise a
// fault (a false alarm is a bug).
var healthy = []struct {
	name string
	opts Options
	seq  func(w *wire) []obs.Obs
}{
	{
		name: "polling then upgrade, heartbeats, client close",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid+"&t=b", "40"),
				w.get(6, 15, q4sid+"&t=c", 200, `40{"sid":"sock1"}`),
				w.get(16, 30, q4sid+"&t=d", 200, "2"),
				w.post(40, 41, q4sid+"&t=e", "3"),
				w.wsOpen(50, 7, ws4sid),
				wsText(51, 7, c2s, "2probe"),
				wsText(52, 7, s2c, "3probe"),
				w.get(31, 53, q4sid+"&t=f", 200, "6"),
				wsText(54, 7, c2s, "5"),
				wsText(60, 7, c2s, `42["hello","world"]`),
				wsText(25060, 7, s2c, "2"),
				wsText(25062, 7, c2s, "3"),
				tick(30000),
				wsText(50062, 7, s2c, "2"),
				wsText(50064, 7, c2s, "3"),
				tick(60000),
				wsCloseFrame(60001, 7, c2s, 1000),
				wsCloseFrame(60002, 7, s2c, 1000),
				wsClose(60003, 7, "client", 1000, true, ""),
				tick(200000),
			})
		},
	},
	{
		name: "cross-origin polling with cors and credentials",
		seq: func(w *wire) []obs.Obs {
			req := hdr{"Origin": "http://localhost:3000", "Cookie": "session=1"}
			resp := hdr{"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Credentials": "true", "Set-Cookie": "io=SID4; Path=/; HttpOnly; SameSite=Lax"}
			req2 := hdr{"Origin": "http://localhost:3000", "Cookie": "session=1; io=SID4"}
			ok := hdr{"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Credentials": "true"}
			return []obs.Obs{
				w.xchg(0, 2, "OPTIONS", q4, "", 204, "", hdr{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-token"},
					hdr{"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Headers": "x-token", "Access-Control-Allow-Credentials": "true"}),
				w.xchg(3, 5, "GET", q4, "", 200, open4, req, resp),
				w.xchg(10, 12, "POST", q4sid, "40", 200, "ok", req2, ok),
				w.xchg(6, 15, "GET", q4sid, "", 200, `40{"sid":"a"}`, req2, ok),
				w.xchg(16, 20, "POST", q4sid, "1", 200, "ok", req2, ok),
				w.xchg(16, 21, "GET", q4sid, "", 200, "6", req2, ok),
			}
		},
	},
	{
		name: "same-origin page behind a TLS terminator",
		seq: func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": "https://localhost:8080", "X-Forwarded-Proto": "https"})
		},
	},
	{
		name: "forward mode: intercepted https page and its own origin",
		opts: Options{Forward: true},
		seq: func(w *wire) []obs.Obs {
			w.upstream, w.host = "https://app.example", "app.example"
			return w.polling(hdr{"Origin": "https://app.example"})
		},
	},
	{
		name: "websocket only, namespaces with auth, acks, binary, server close",
		seq: func(w *wire) []obs.Obs {
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, `40{"token":"abc"}`),
				wsText(3, 9, s2c, `40{"sid":"s0"}`),
				wsText(4, 9, c2s, `40/chat,{"token":"abc"}`),
				wsText(5, 9, s2c, `40/chat,{"sid":"s1"}`),
				wsText(10, 9, c2s, `42/chat,3["message","hi"]`),
				wsText(12, 9, s2c, `43/chat,3["ok"]`),
				wsText(20, 9, c2s, `451-["upload",{"_placeholder":true,"num":0}]`),
				wsBin(21, 9, c2s, []byte{1, 2, 3}),
				wsText(30, 9, s2c, `41/chat,`),
				wsText(31, 9, c2s, `40/chat,{"token":"abc"}`),
				wsText(32, 9, s2c, `40/chat,{"sid":"s2"}`),
				wsCloseFrame(40, 9, s2c, 0),
				wsClose(41, 9, "server", 0, true, ""),
			})
		},
	},
	{
		name: "EIO3 client on a server with allowEIO3",
		seq: func(w *wire) []obs.Obs {
			return []obs.Obs{
				w.get(0, 5, q3+"&t=a", 200, v3len(open3)+"2:40"),
				w.post(10, 12, q3sid, v3len("2")),
				w.get(6, 15, q3sid, 200, v3len("3")),
				w.post(20, 22, q3sid, v3len(`42["x"]`)),
				w.post(30, 32, q3sid, v3len("1")),
				w.get(16, 33, q3sid, 200, v3len("6")),
				tick(60000),
			}
		},
	},
	{
		name: "deflated websocket, test stopped (client gone without close frame)",
		seq: func(w *wire) []obs.Obs {
			msg := wsText(4, 9, c2s, `42["big","`+strings.Repeat("a", 5000)+`"]`)
			msg.WSMsg.Compressed, msg.WSMsg.WireLen = true, 60
			return concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
				wsText(2, 9, c2s, "40"),
				wsText(3, 9, s2c, `40{"sid":"s0"}`),
				msg,
				wsClose(5, 9, "client", 0, false, ""),
				tick(300000),
			})
		},
	},
	{
		// engine.io-client may start its next poll while its own close
		// packet is on the way; the server no longer knows the sid.
		name: "client close racing its next poll",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(6, 15, q4sid, 200, `40{"sid":"x"}`),
				w.post(20, 22, q4sid, "1"),
				w.get(16, 23, q4sid, 200, "6"),
				w.errJSON(24, 25, "GET", q4sid, 400, `{"code":1,"message":"Session ID unknown"}`),
				tick(100000),
			})
		},
	},
	{
		name: "polling session closed by the server with 1",
		seq: func(w *wire) []obs.Obs {
			return concat(w.polling(), []obs.Obs{
				w.post(10, 12, q4sid, "40"),
				w.get(6, 15, q4sid, 200, `40{"sid":"x"}`),
				w.get(16, 30, q4sid, 200, "1"),
				tick(100000),
			})
		},
	},
}

func TestHealthyTrafficRaisesNoFault(t *testing.T) {
	for _, tc := range healthy {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tc.opts)
			evs := run(e, tc.seq(newWire()))
			if len(evs) > 0 || len(e.Faults()) > 0 {
				t.Fatalf("false alarm: %v", faultCodes(e.Faults()))
			}
		})
	}
}

// TestHealthyManyClients runs 200 WebSocket clients through upgrades,
// heartbeats and clean closes on one clock.
func TestHealthyManyClients(t *testing.T) {
	e := New(Options{})
	w := newWire()
	var seq []obs.Obs
	for i := range 200 {
		w.client = fmt.Sprintf("127.0.0.1:%d", 10000+i)
		sid := fmt.Sprintf("S%03d", i)
		o := strings.ReplaceAll(open4, "SID4", sid)
		q := strings.ReplaceAll(q4sid, "SID4", sid)
		wq := strings.ReplaceAll(ws4sid, "SID4", sid)
		at := i * 10
		conn := uint64(1000 + i)
		seq = append(seq,
			w.get(at, at+2, q4, 200, o),
			w.post(at+3, at+4, q, "40"),
			w.get(at+3, at+5, q, 200, `40{"sid":"x"}`),
			w.wsOpen(at+6, conn, wq),
			wsText(at+7, conn, c2s, "2probe"),
			wsText(at+7, conn, s2c, "3probe"),
			w.get(at+6, at+8, q, 200, "6"),
			wsText(at+8, conn, c2s, "5"),
			wsText(at+9, conn, c2s, `42["hi"]`),
		)
	}
	for i := range 200 {
		conn := uint64(1000 + i)
		at := 25000 + i*10
		seq = append(seq, wsText(at, conn, s2c, "2"), wsText(at+2, conn, c2s, "3"))
	}
	seq = append(seq, tick(30000))
	for i := range 200 {
		seq = append(seq, wsClose(40000+i, uint64(1000+i), "client", 1000, true, ""))
	}
	seq = append(seq, tick(400000))
	if evs := run(e, seq); len(evs) > 0 {
		t.Fatalf("false alarm: %v", faultCodes(e.Faults()))
	}
}

// TestFolding checks that a reconnect loop is one fault with a count, and
// that updates are rate limited and flushed by Tick.
func TestFolding(t *testing.T) {
	e := New(Options{})
	w := newWire()
	var seq []obs.Obs
	for i := range 10 {
		w.client = fmt.Sprintf("10.1.1.1:%d", 4000+i)
		seq = append(seq, w.errJSON(i*100, i*100+2, "GET", q3, 400, `{"code":5,"message":"Unsupported protocol version"}`))
	}
	// The loop retries every 100 ms exactly, which L2 reports too; this
	// test is about E1's folding.
	evs := slices.DeleteFunc(run(e, seq), func(ev event.Event) bool { return ev.Fault.Code == CodeReconnectNoBackoff })
	if len(evs) != 1 || evs[0].Fault.Count != 1 {
		t.Fatalf("emitted %d events before the rate limit expired, want the first only", len(evs))
	}
	var later []event.Event
	e.Tick(ms(1500), func(ev event.Event) {
		if ev.Fault.Code != CodeReconnectNoBackoff {
			later = append(later, ev)
		}
	})
	if len(later) != 1 {
		t.Fatalf("Tick emitted %d updates, want 1", len(later))
	}
	f := later[0].Fault
	if f.Code != CodeEIO3Rejected || f.Count != 10 || !f.First.Equal(ms(2)) || !f.Last.Equal(ms(902)) {
		t.Fatalf("folded fault %+v", f)
	}
	if later[0].Client != "10.1.1.1:4009" {
		t.Errorf("client %q, want the latest", later[0].Client)
	}
	// Nothing changed since: the next Tick is silent.
	e.Tick(ms(3000), func(ev event.Event) { t.Errorf("unchanged fault re-emitted: %+v", ev.Fault) })
	// Another host is another fault.
	w.client = "10.2.2.2:1"
	run(e, []obs.Obs{w.errJSON(4000, 4001, "GET", q3, 400, `{"code":5,"message":"Unsupported protocol version"}`)})
	if n := len(slices.DeleteFunc(e.Faults(), func(f event.Fault) bool { return f.Code == CodeReconnectNoBackoff })); n != 2 {
		t.Fatalf("%d faults, want 2 (one per client host)", n)
	}
	// Evidence stays bounded and keeps the first lines.
	if ev := e.Faults()[0].Evidence; len(ev) == 0 || len(ev) > maxEvidence {
		t.Errorf("evidence has %d lines", len(ev))
	}
}

func TestRateLimitUsesInjectedClock(t *testing.T) {
	e := New(Options{RateLimit: 10 * time.Second})
	w := newWire()
	n := 0
	emit := func(event.Event) { n++ }
	for i := range 5 {
		e.Observe(w.errJSON(i*3000, i*3000+1, "GET", q3, 400, `{"code":5,"message":"x"}`), nil, emit)
	}
	// Emitted at 1 ms; the next update is due at 10001 ms, at the fifth
	// occurrence (12001 ms).
	if n != 2 {
		t.Fatalf("%d emissions, want 2", n)
	}
}

func TestCatalogCoversEveryCode(t *testing.T) {
	seen := map[string]bool{}
	for _, en := range Catalog() {
		if seen[en.Code] {
			t.Errorf("duplicate code %s", en.Code)
		}
		seen[en.Code] = true
		if en.Fix == "" || en.Title == "" || en.Catalog == "" || en.Severity == "" {
			t.Errorf("incomplete entry %+v", en)
		}
	}
	// Every catalogue section of FAULTS.md has at least one code.
	for _, id := range []string{"A", "B1", "B2", "B3", "B4", "C1", "C2", "D1", "D2", "D3", "D4", "E1", "E2", "F1", "F2", "G1", "G2", "G3", "G4", "H1", "H2", "I1", "I2", "I3", "J"} {
		found := false
		for _, en := range Catalog() {
			found = found || en.Catalog == id
		}
		if !found {
			t.Errorf("no code for %s", id)
		}
	}
}
