package diagnose

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// A WebSocket reset right after a large server message: H1, named from the
// close (issue 16: "a 1006 right after a large message is H1").
func TestCloseRightAfterLargeMessageIsH1(t *testing.T) {
	big := `42["blob","` + strings.Repeat("x", 2<<20) + `"]`
	for _, tc := range []struct {
		name  string
		gap   int
		frame bool
		want  bool
	}{
		{"reset 100 ms after", 100, false, true},
		{"reset 5 s after", 5000, false, false},
		{"clean close frame after", 100, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWire()
			seq := concat(w.wsOnly(0, 1, open4ws), []obs.Obs{
				wsText(2, 1, c2s, "40"),
				wsText(3, 1, s2c, `40{"sid":"s1"}`),
				wsText(10, 1, s2c, big),
			})
			if tc.frame {
				seq = append(seq, wsCloseFrame(10+tc.gap, 1, c2s, 1000), wsClose(10+tc.gap, 1, "client", 1000, true, ""))
			} else {
				seq = append(seq, wsClose(10+tc.gap, 1, "client", 0, false, "read: connection reset by peer"))
			}
			e := New(Options{})
			run(e, seq)
			var h1 string
			for _, f := range e.Faults() {
				if f.Code == CodePayloadTooLarge {
					h1 = f.Summary
				}
			}
			if tc.want != (h1 != "") {
				t.Fatalf("H1 %q, want raised=%v (faults %v)", h1, tc.want, faultCodes(e.Faults()))
			}
			if tc.want && (!strings.Contains(h1, "TCP RST without close frame") || !strings.Contains(h1, "s2c message") || !strings.Contains(h1, "100 ms after")) {
				t.Errorf("summary %q", h1)
			}
		})
	}
}
