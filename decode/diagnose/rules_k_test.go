package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

func dialFail(w *wire, start, end int, url string) obs.Obs {
	o := w.xchg(start, end, "GET", url, "", 0, "", nil, nil)
	o.HTTP.RespHeader = nil
	o.HTTP.Err = "dial tcp 127.0.0.1:3999: connect: connection refused"
	o.HTTP.ErrKind = "dial"
	return o
}

// A down target is one fault per target, whatever the client and the
// path (pages included), naming the dial error, the target and the fix.
func TestUpstreamUnreachable(t *testing.T) {
	w := newWire()
	w.upstream = "http://127.0.0.1:3999"
	seq := []obs.Obs{dialFail(w, 0, 1, q4+"&t=a"), dialFail(w, 2, 3, "/index.html")}
	w.client = "10.0.0.2:6000"
	seq = append(seq, dialFail(w, 4, 5, q4+"&t=b"))
	w.upstream = "http://127.0.0.1:4000"
	seq = append(seq, dialFail(w, 6, 7, q4+"&t=c"))
	e := New(Options{})
	run(e, seq)
	fs := e.Faults()
	if len(fs) != 2 {
		t.Fatalf("faults %v, want one per target", faultCodes(fs))
	}
	f := fs[0]
	if f.Code != CodeUpstreamUnreachable || f.Catalog != "K" || f.Count != 3 || f.Target != "http://127.0.0.1:3999" {
		t.Errorf("got %s/%s ×%d target %q, want upstream_unreachable/K ×3 for http://127.0.0.1:3999", f.Code, f.Catalog, f.Count, f.Target)
	}
	for _, want := range []string{"http://127.0.0.1:3999", "connection refused", "502"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	for _, want := range []string{"port 3999", "running", `curl -i "http://127.0.0.1:3999/socket.io/?EIO=4&transport=polling"`} {
		if !strings.Contains(f.Fix, want) {
			t.Errorf("fix %q lacks %q", f.Fix, want)
		}
	}
	if fs[1].Target != "http://127.0.0.1:4000" || fs[1].Count != 1 {
		t.Errorf("second target: %+v", fs[1])
	}
}

// In forward mode a browser fetches from many hosts; only Engine.IO
// traffic that cannot reach its server is K.
func TestUpstreamUnreachableForwardOnlyEngineIO(t *testing.T) {
	w := newWire()
	w.upstream = "https://update.example"
	seq := []obs.Obs{dialFail(w, 0, 1, "/service/update2")}
	w.upstream = "https://app.example"
	seq = append(seq, dialFail(w, 2, 3, q4+"&t=a"))
	e := New(Options{Forward: true})
	run(e, seq)
	fs := e.Faults()
	if len(fs) != 1 || fs[0].Target != "https://app.example" {
		t.Fatalf("faults %v, want one K for the Engine.IO target only", faultCodes(fs))
	}
}
