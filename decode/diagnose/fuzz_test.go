package diagnose

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// FuzzDiagnose feeds arbitrary bodies, statuses, headers and messages
// through a Tracker with the Engine: no input may panic or hang it.
func FuzzDiagnose(f *testing.F) {
	f.Add([]byte(open4), 200, []byte(`{"code":1,"message":"Session ID unknown"}`), 400, "http://a.example", []byte(`44{"message":"x"}`))
	f.Add([]byte(`96:0{"sid":"SID4"}2:40`), 200, []byte("Bad request"), 400, "null", []byte("2"))
	f.Add([]byte("<html>"), 404, []byte{}, 413, "https://x", []byte(`451-["a",{"_placeholder":true,"num":9}]`))
	f.Fuzz(func(t *testing.T, hs []byte, hsStatus int, next []byte, nextStatus int, origin string, msg []byte) {
		e := New(Options{})
		w := newWire()
		req := hdr{"Origin": origin, "Cookie": "io=1", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": origin}
		resp := hdr{"Content-Type": jsonCT, "Set-Cookie": "SERVERID=" + origin, "Access-Control-Allow-Origin": origin}
		seq := []obs.Obs{
			w.xchg(0, 5, "GET", q4, "", hsStatus, string(hs), req, resp),
			w.xchg(6, 7, "OPTIONS", q4sid, "", nextStatus, string(next), req, resp),
			w.xchg(8, 9, "POST", q4sid, string(msg), nextStatus, string(next), req, resp),
			w.xchg(8, 30000, "GET", q4sid, "", nextStatus, string(next), req, resp),
			w.xchg(10, 11, "GET", ws4sid, "", nextStatus, string(next), upgradeHdr, resp),
			w.wsOpen(12, 7, ws4sid),
			wsText(13, 7, c2s, string(msg)),
			wsText(14, 7, s2c, string(msg)),
			wsBin(15, 7, c2s, msg),
			w.wsOpen(16, 8, ws4),
			wsText(17, 8, s2c, string(hs)),
			wsText(18, 8, c2s, string(msg)),
			wsClose(19, 8, "server", nextStatus, false, ""),
			tick(50000),
			{Kind: obs.KindTLS, Time: ms(60000), TLS: &obs.TLSEvent{Leg: origin, Kind: string(msg), Alert: string(next)}},
			tick(400000),
		}
		run(e, seq)
		for _, fd := range e.Faults() {
			if fd.Code == "" || fd.Count < 1 || len(fd.Evidence) > maxEvidence {
				t.Fatalf("bad fault %+v", fd)
			}
		}
	})
}
