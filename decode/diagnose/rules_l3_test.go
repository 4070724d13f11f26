package diagnose

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func authSession(w *wire, at int, conn uint64, sid, auth string) []obs.Obs {
	connect := "40"
	if auth != "" {
		connect += auth
	}
	return csrSession(w, at, conn, sid, connect, `40{"sid":"sock`+sid+`"}`)
}

func TestDuplicateSession(t *testing.T) {
	w := newWire()
	seq := concat(
		authSession(w, 0, 1, "A", `{"token":"u1"}`),
		authSession(w, 100, 2, "B", `{"token":"u1"}`),
		[]obs.Obs{
			wsText(150, 1, s2c, "2"), wsText(151, 1, c2s, "3"), // A is alive after B connected
			wsText(300, 1, s2c, `42["news",{"n":1}]`),
			wsText(301, 2, s2c, `42["news",{"n":1}]`),
		},
	)
	e := New(Options{})
	run(e, seq)
	fs := e.Faults()
	if len(fs) != 1 || fs[0].Code != CodeDuplicateSession || fs[0].Catalog != "L3" || fs[0].Count != 1 {
		t.Fatalf("faults %v, want one duplicate_session", faultCodes(fs))
	}
	for _, want := range []string{"two live sessions on /", "A (opened", "B (opened", `auth {"token":"u1"}`, "1 server events delivered on both sessions (twice on the wire)"} {
		if !strings.Contains(fs[0].Summary, want) {
			t.Errorf("summary %q lacks %q", fs[0].Summary, want)
		}
	}
}

func TestDuplicateSessionHealthy(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  func(w *wire) []obs.Obs
	}{
		{"reconnect after the old session ended", func(w *wire) []obs.Obs {
			return concat(authSession(w, 0, 1, "A", `{"token":"u1"}`), []obs.Obs{wsClose(50, 1, "client", 1000, true, "")},
				authSession(w, 100, 2, "B", `{"token":"u1"}`), []obs.Obs{wsText(150, 2, s2c, "2"), wsText(151, 2, c2s, "3")})
		}},
		{"old session silent (its connection is dead)", func(w *wire) []obs.Obs {
			return concat(authSession(w, 0, 1, "A", `{"token":"u1"}`), authSession(w, 100, 2, "B", `{"token":"u1"}`),
				[]obs.Obs{wsText(150, 1, s2c, "2"), wsText(151, 2, s2c, "2"), wsText(152, 2, c2s, "3")})
		}},
		{"no auth and no cookie: clients cannot be told apart", func(w *wire) []obs.Obs {
			return concat(authSession(w, 0, 1, "A", ""), authSession(w, 100, 2, "B", ""), []obs.Obs{wsText(150, 1, s2c, "2"), wsText(151, 1, c2s, "3")})
		}},
		{"different users", func(w *wire) []obs.Obs {
			return concat(authSession(w, 0, 1, "A", `{"token":"u1"}`), authSession(w, 100, 2, "B", `{"token":"u2"}`), []obs.Obs{wsText(150, 1, s2c, "2"), wsText(151, 1, c2s, "3")})
		}},
		{"many clients sharing a token behind one address", func(w *wire) []obs.Obs {
			var seq []obs.Obs
			for i := range 6 {
				seq = append(seq, authSession(w, i*10, uint64(i+1), fmt.Sprint("S", i), `{"token":"shared"}`)...)
			}
			for i := range 6 {
				seq = append(seq, wsText(200+i, uint64(i+1), s2c, "2"), wsText(210+i, uint64(i+1), c2s, "3"))
			}
			return seq
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Options{})
			run(e, tc.seq(newWire()))
			if fs := e.Faults(); len(fs) != 0 {
				t.Fatalf("faults %v", faultCodes(fs))
			}
		})
	}
}
