package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func injectObs(at int, rule, url, client string) obs.Obs {
	return obs.Obs{Kind: obs.KindInject, Time: ms(at), Inject: &obs.Inject{Rule: rule, Action: "stripped", URL: url, Client: client}}
}

// A staged fault is diagnosed from the wire as usual and names the rule;
// the same fault without the rule, or a fault the rule cannot cause, does
// not.
func TestInjectedAttribution(t *testing.T) {
	d1 := func(w *wire, inject []obs.Obs) []obs.Obs {
		return concat(w.polling(), inject, []obs.Obs{
			w.xchg(10, 11, "GET", ws4sid, "", 400, "Bad request", upgradeHdr, hdr{"Content-Type": "text/html"}),
		})
	}
	for _, tc := range []struct {
		name   string
		inject []obs.Obs
		want   string // Fault.Injected, "" for none
	}{
		{"rule on the session", []obs.Obs{injectObs(9, "no-upgrade", ws4sid, "127.0.0.1:5000")}, "--inject no-upgrade"},
		{"rule on the client host, no sid", []obs.Obs{injectObs(9, "no-upgrade", ws4, "127.0.0.1:6000")}, "--inject no-upgrade"},
		{"no rule", nil, ""},
		{"a rule that cannot cause D1", []obs.Obs{injectObs(9, "drop-pongs", ws4sid, "127.0.0.1:5000")}, ""},
		{"a rule on another client", []obs.Obs{injectObs(9, "no-upgrade", "/socket.io/?EIO=4&transport=websocket&sid=OTHER", "10.0.0.9:1")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faults := run(New(Options{}), d1(newWire(), tc.inject))
			if len(faults) != 1 || faults[0].Fault.Catalog != "D1" {
				t.Fatalf("faults %v, want one D1", faults)
			}
			f := faults[0].Fault
			if f.Injected != tc.want {
				t.Errorf("Injected %q, want %q", f.Injected, tc.want)
			}
			if has := strings.Contains(f.Summary, "— injected by --inject"); has != (tc.want != "") {
				t.Errorf("summary %q: naming the rule = %v, want %v", f.Summary, has, tc.want != "")
			}
		})
	}
}
