package session

import (
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// TestCloseReasons checks the FAULTS.md §J label of each way a session ends.
func TestCloseReasons(t *testing.T) {
	wsOnly := func(extra ...obs.Obs) []obs.Obs {
		return append([]obs.Obs{wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"), wsText(1, 1, s2c, open4ws)}, extra...)
	}
	polling := func(extra ...obs.Obs) []obs.Obs {
		return append([]obs.Obs{get(0, 1, q4, 200, open4)}, extra...)
	}
	tests := []struct {
		name string
		seq  []obs.Obs
		want string // the session close event, "" for none
	}{
		{"client POST 1", polling(post(5, 6, q4sid, "1")), "session close poll reason=transport close by=client"},
		{"server 1 in GET body", polling(get(2, 5, q4sid, 200, "1")), "session close poll reason=forced close by=server"},
		{"server 1 after unanswered ping", polling(get(2, 25002, q4sid, 200, "2"), get(25003, 45010, q4sid, 200, "1")), "session close poll reason=ping timeout by=server"},
		{"400 unknown sid while alive", polling(get(2, 5, q4sid, 400, `{"code":1,"message":"Session ID unknown"}`)), "session close poll reason=transport error by=server"},
		{"400 unknown sid after close", polling(post(2, 3, q4sid, "1"), get(4, 5, q4sid, 400, `{"code":1,"message":"Session ID unknown"}`)), "session close poll reason=transport close by=client"},
		{"parked GET client gone", polling(xchgErr(2, 9, q4sid, "client_gone")), "session close poll reason=transport close by=client"},
		{"parked GET upstream reset", polling(xchgErr(2, 9, q4sid, "upstream_reset")), "session close poll reason=transport error by=server"},
		{"ws client close frame", wsOnly(wsClose(9, 1, "client", 1001, true, "")), "session close ws reason=transport close by=client code=1001"},
		{"ws server close frame", wsOnly(wsClose(9, 1, "server", 1000, true, "")), "session close ws reason=forced close by=server code=1000"},
		{"ws server gone without close frame", wsOnly(wsClose(9, 1, "server", 0, false, "")), "session close ws reason=transport close by=server"},
		{"ws server gone without close frame after unanswered ping", wsOnly(wsText(25000, 1, s2c, "2"), wsClose(45010, 1, "server", 0, false, "")), "session close ws reason=ping timeout by=server"},
		{"ws 1009", wsOnly(wsClose(9, 1, "server", 1009, true, "")), "session close ws reason=transport error by=server code=1009"},
		{"ws tcp drop", wsOnly(wsClose(9, 1, "client", 0, false, "connection reset by peer")), "session close ws reason=transport error by=client"},
		{"ws close after bad packet", wsOnly(wsText(5, 1, c2s, "4999"), wsClose(6, 1, "server", 0, true, "")), "session close ws reason=forced close by=server"},
		{"ws close after engine parse error", wsOnly(wsText(5, 1, c2s, "z"), wsClose(6, 1, "server", 0, true, "")), "session close ws reason=parse error by=server"},
		{"silent session times out", wsOnly(tick(30000), tick(46002)), "session close ws reason=ping timeout by=client"},
		{"unanswered ping times out", wsOnly(wsText(25000, 1, s2c, "2"), tick(71002)), "session close ws reason=ping timeout by=server"},
		{"answered pings keep it alive", wsOnly(wsText(25000, 1, s2c, "2"), wsText(25001, 1, c2s, "3"), tick(60000)), ""},
		{"probe closing leaves the session", polling(wsOpen(3, 2, ws4sid), wsText(4, 2, c2s, "2probe"), wsClose(5, 2, "server", 1000, true, "")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := run(NewTracker(Options{}), tc.seq)
			var closes []string
			for _, ev := range evs {
				if ev.Kind == event.KindSession && ev.Action == "close" {
					closes = append(closes, summary(ev))
				}
			}
			got := strings.Join(closes, " | ")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func xchgErr(start, end int, url, kind string) obs.Obs {
	o := get(start, end, url, 0, "")
	o.HTTP.Err, o.HTTP.ErrKind = "broken", kind
	return o
}

func TestTickTimeoutAt(t *testing.T) {
	tr := NewTracker(Options{HeartbeatSlack: time.Second})
	evs := run(tr, []obs.Obs{wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"), wsText(1, 1, s2c, open4ws), tick(46000), tick(46002)})
	last := evs[len(evs)-1]
	if last.Action != "close" {
		t.Fatalf("no close: %v", summary(last))
	}
	// The session died when its heartbeat deadline passed, not when the
	// tick noticed: open at 1 ms + 25 s + 20 s + 1 s slack.
	if want := ms(46001); !last.TS.Equal(want) {
		t.Errorf("close at %v, want %v", last.TS, want)
	}
	if n := len(evs); summary(evs[n-2]) == summary(last) {
		t.Errorf("closed twice")
	}
}

func TestProbeStuck(t *testing.T) {
	tr := NewTracker(Options{})
	run(tr, []obs.Obs{get(0, 1, q4, 200, open4), wsOpen(3, 2, ws4sid), wsText(4, 2, c2s, "2probe")})
	if got := tr.Sessions()[0].Upgrade; got != "probing" {
		t.Fatalf("upgrade state %q, want probing", got)
	}
	run(tr, []obs.Obs{get(2, 24000, q4sid, 200, "2"), post(24001, 24002, q4sid, "3"), tick(12000)})
	if got := tr.Sessions()[0].Upgrade; got != "stuck" {
		t.Fatalf("upgrade state %q, want stuck", got)
	}
}
