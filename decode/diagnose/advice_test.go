package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// Every fix names what sioproxy saw: the page's origin, the path, the
// header names and the ports; no placeholder origin (issue 12, point 6).
func TestAdviceUsesWhatItSaw(t *testing.T) {
	const org = "http://localhost:5173"
	for _, tc := range []struct {
		name string
		seq  func(w *wire) []obs.Obs
		want []string
	}{
		{"B1 names the origin and a curl check that sends it", func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": org})
		}, []string{`cors: {origin: ["http://localhost:5173"]}`, `curl -si -H "Origin: http://localhost:5173" "http://up:3000/socket.io/?EIO=4&transport=polling"`, "Access-Control-Allow-Origin: http://localhost:5173"}},
		{"B1 on a custom path names the path", func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 5, "GET", "/sockets/?EIO=4&transport=polling", "", 200, open4, hdr{"Origin": org}, nil)}
		}, []string{`path: "/sockets"`, `"http://up:3000/sockets/?EIO=4&transport=polling"`}},
		{"B2 names both origins", func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": org}, hdr{"Access-Control-Allow-Origin": "http://localhost:3000"})
		}, []string{`Add "http://localhost:5173" to ` + "`cors.origin`", "allows http://localhost:3000 only"}},
		{"B2 credentials name the origin", func(w *wire) []obs.Obs {
			return w.polling(hdr{"Origin": org, "Cookie": "a=1"}, hdr{"Access-Control-Allow-Origin": "*"})
		}, []string{`origin: ["http://localhost:5173"], credentials: true`, "withCredentials: true"}},
		{"B3 names the refused header", func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 1, "OPTIONS", q4, "", 204, "",
				hdr{"Origin": org, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "content-type,x-token"},
				hdr{"Access-Control-Allow-Origin": org, "Access-Control-Allow-Headers": "Content-Type"})}
		}, []string{`allowedHeaders: ["x-token"]`, `-X OPTIONS -H "Origin: http://localhost:5173"`, `Access-Control-Request-Headers: content-type,x-token`}},
		{"B3 without cors names the origin and headers", func(w *wire) []obs.Obs {
			return []obs.Obs{w.xchg(0, 1, "OPTIONS", q4, "", 400, `{"code":2,"message":"Bad handshake method"}`,
				hdr{"Origin": org, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-token"}, hdr{"Content-Type": jsonCT})}
		}, []string{`cors: {origin: ["http://localhost:5173"], allowedHeaders: ["x-token"]}`}},
		{"D3 names the path and the server", func(w *wire) []obs.Obs {
			return []obs.Obs{w.get(0, 1, "/sockets/?EIO=4&transport=polling", 404, "not found")}
		}, []string{"/sockets/ on http://up:3000", `path: "/sockets"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Options{})
			run(e, tc.seq(newWire()))
			fs := e.Faults()
			if len(fs) == 0 {
				t.Fatal("no fault")
			}
			fix := fs[0].Fix
			for _, w := range tc.want {
				if !strings.Contains(fix, w) {
					t.Errorf("%s fix lacks %q:\n%s", fs[0].Code, w, fix)
				}
			}
			if strings.Contains(fix, "your.app") || strings.Contains(fix, "<url>") {
				t.Errorf("fix has a placeholder: %s", fix)
			}
		})
	}
}
