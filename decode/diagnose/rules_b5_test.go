package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func corsAnswer(w *wire, start int, org, acao string) obs.Obs {
	return w.xchg(start, start+2, "GET", q4+"&t="+org, "", 200, open4, hdr{"Origin": org},
		hdr{"Access-Control-Allow-Origin": acao, "Access-Control-Allow-Credentials": "true", "Content-Type": "text/plain"})
}

func TestLatentCORS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seq     func(w *wire) []obs.Obs
		code    string
		summary string
	}{
		{"wildcard with credentials, no cookie yet", func(w *wire) []obs.Obs {
			return []obs.Obs{corsAnswer(w, 0, "http://app.example", "*")}
		}, CodeCORSLatentWildcard, "Access-Control-Allow-Origin: * and Access-Control-Allow-Credentials: true"},
		{"two origins reflected with credentials", func(w *wire) []obs.Obs {
			return []obs.Obs{corsAnswer(w, 0, "http://app.example", "http://app.example"), corsAnswer(w, 10, "http://evil.example", "http://evil.example")}
		}, CodeCORSReflected, "echoed 2 different origins (http://app.example, http://evil.example)"},
		{"null reflected with credentials", func(w *wire) []obs.Obs {
			return []obs.Obs{corsAnswer(w, 0, "null", "null")}
		}, CodeCORSReflected, "echoed Origin null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Options{})
			run(e, tc.seq(newWire()))
			fs := e.Faults()
			if len(fs) != 1 || fs[0].Code != tc.code || fs[0].Catalog != "B5" || fs[0].Severity != event.Warning {
				t.Fatalf("faults %v, want one B5 %s warning", faultCodes(fs), tc.code)
			}
			if !strings.Contains(fs[0].Summary, tc.summary) {
				t.Errorf("summary %q lacks %q", fs[0].Summary, tc.summary)
			}
		})
	}
}

// One origin allowed with credentials (cors: {origin: [app], credentials:
// true}) is the right setup, seen many times.
func TestLatentCORSHealthy(t *testing.T) {
	w := newWire()
	var seq []obs.Obs
	for i := range 5 {
		seq = append(seq, corsAnswer(w, i*10, "http://app.example", "http://app.example"))
	}
	e := New(Options{})
	run(e, seq)
	if fs := e.Faults(); len(fs) != 0 {
		t.Fatalf("faults %v on a correct CORS setup", faultCodes(fs))
	}
}
