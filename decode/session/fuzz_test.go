package session

import (
	"encoding/json"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// FuzzTracker feeds arbitrary polling bodies and WebSocket messages into
// live sessions of both versions: the tracker must never panic, and every
// event it emits must serialise (args stay valid JSON).
func FuzzTracker(f *testing.F) {
	f.Add([]byte(`42["a",1]`+"\x1e"+`451-["b",{"_placeholder":true,"num":0}]`+"\x1ebAQI="), []byte(`43/x,1[]`), false)
	f.Add([]byte(`6:4hello10:b4AQIDBA==`), []byte{4, 1, 2}, true)
	f.Add([]byte{0, 4, 0xff, '4', 'a', 'b', 'c'}, []byte("2probe"), false)
	f.Add([]byte(`1:1`), []byte(`461-[{"_placeholder":true,"num":0}]`), false)
	f.Fuzz(func(t *testing.T, body, msg []byte, binary bool) {
		tr := NewTracker(Options{})
		check := func(ev event.Event) {
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event does not serialise: %v", err)
			}
		}
		ws := wsText(70, 7, c2s, string(msg))
		if binary {
			ws = wsBin(70, 7, c2s, msg)
		}
		back := ws
		m := *ws.WSMsg
		m.Dir = s2c
		back.WSMsg = &m
		const q3 = "/socket.io/?EIO=3&transport=polling"
		seq := append(scenarios[0].seq()[:8],
			get(60, 61, q4sid, 200, string(body)),
			post(62, 63, q4sid, string(body)),
			ws, back,
			get(0, 1, q3, 200, v3len(open3)+"2:40"),
			get(2, 3, q3sid, 200, string(body)),
			post(4, 5, q3sid, string(msg)),
			xchg(6, 7, "GET", q3sid, "", 200, string(body), nil, hdr{"Content-Type": "application/octet-stream", "Content-Encoding": "deflate"}),
			get(8, 9, q3sid+"&j=1", 200, string(body)),
			wsOpen(10, 8, "/socket.io/?EIO=3&transport=websocket"),
			obs.Obs{Kind: obs.KindWSMsg, Time: ms(11), WSMsg: &obs.WSMessage{Conn: 8, Dir: s2c, Opcode: 1, Data: body}},
			tick(1e9),
		)
		for _, o := range seq {
			if o.Kind == "tick" {
				tr.Tick(o.Time, check)
				continue
			}
			tr.Observe(o, check)
		}
		tr.Sessions()
	})
}
