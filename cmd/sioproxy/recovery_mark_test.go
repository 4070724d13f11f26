package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// The sessions pane marks a namespace whose socket tried a connection
// state recovery: ↺ when the server recovered it, ↺✗ when it refused.
func TestSessionRowsMarkRecovery(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tr := session.NewTracker(session.Options{})
	emit := func(event.Event) {}
	ws := func(conn uint64, sid, connect, reply string) {
		tr.Observe(obs.Obs{Kind: obs.KindWSOpen, Time: at, WSOpen: &obs.WSOpen{Conn: conn, Client: "127.0.0.1:1", URL: "/socket.io/?EIO=4&transport=websocket", Status: 101, ReqHeader: http.Header{}, RespHeader: http.Header{}}}, emit)
		for _, m := range []struct {
			d    decode.Dir
			data string
		}{{decode.S2C, `0{"sid":"` + sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`}, {decode.C2S, connect}, {decode.S2C, reply}} {
			tr.Observe(obs.Obs{Kind: obs.KindWSMsg, Time: at, WSMsg: &obs.WSMessage{Conn: conn, Dir: m.d, Opcode: 1, Data: []byte(m.data)}}, emit)
		}
	}
	ws(1, "A", `40{"pid":"P","offset":"o"}`, `40{"sid":"s","pid":"P"}`)
	ws(2, "B", `40{"pid":"P","offset":"o"}`, `40{"sid":"s2","pid":"Q"}`)
	ws(3, "C", `40`, `40{"sid":"s3","pid":"R"}`)
	r := &runtime{tracker: tr}
	want := map[string]string{"A": "/↺", "B": "/↺✗", "C": "/"}
	for _, row := range r.sessions() {
		if len(row.Namespaces) != 1 || row.Namespaces[0] != want[row.Sid] {
			t.Errorf("session %s namespaces %q, want %q", row.Sid, row.Namespaces, want[row.Sid])
		}
	}
}
