package session

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// jsonLines runs seq through a Tracker, with or without OmitBinaryRaw, and
// returns the events and their --json lines.
func jsonLines(t *testing.T, omit bool, seq []obs.Obs) ([]event.Event, []string) {
	t.Helper()
	tr := NewTracker(Options{})
	if omit {
		tr.OmitBinaryRaw()
	}
	evs := run(tr, seq)
	lines := make([]string, len(evs))
	for i, ev := range evs {
		lines[i] = jsonLine(t, ev)
	}
	return evs, lines
}

// Under OmitBinaryRaw, attachments in canonical base64 records go into the
// --json line as their wire text; every line, size and error is what
// decoding them gives, and non-canonical or invalid text is decoded.
func TestKeepBase64JSON(t *testing.T) {
	att := bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 0x01}, 16<<10)
	big := base64.StdEncoding.EncodeToString(att)
	const hdr1 = `451-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`
	const hdr2 = `452-["two",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`
	v4 := func(url string, recs ...string) []obs.Obs {
		body := strings.Join(recs, "\x1e")
		if strings.Contains(url, "POST") {
			return []obs.Obs{get(0, 5, q4, 200, open4), post(10, 12, q4sid+"&t=b", body)}
		}
		return []obs.Obs{get(0, 5, q4, 200, open4), get(6, 15, q4sid+"&t=c", 200, body)}
	}
	v3 := func(recs ...string) []obs.Obs {
		body := ""
		for _, r := range recs {
			body += v3len(r)
		}
		return []obs.Obs{get(0, 5, "/socket.io/?EIO=3&transport=polling", 200, v3len(open3)), get(6, 15, q3sid+"&t=c", 200, body)}
	}
	tests := []struct {
		name string
		seq  []obs.Obs
		kept []bool // per attachment of the binary event: kept as text
		err  string // a decode error event must say this
	}{
		{"v4 64 KiB", v4("GET", hdr1, "b"+big), []bool{true}, ""},
		{"v4 POST 64 KiB", v4("POST", hdr1, "b"+big), []bool{true}, ""},
		{"v4 two attachments", v4("GET", hdr2, "bAQID", "bQQ=="), []bool{true, true}, ""},
		{"v4 padding bits set", v4("GET", hdr1, "bQR=="), []bool{false}, ""},
		{"v4 padding bits set, then canonical", v4("GET", hdr2, "bQUJ=", "bQUI="), []bool{false, true}, ""},
		{"v4 unpadded", v4("GET", hdr1, "bQQ"), []bool{false}, ""},
		{"v4 invalid", v4("GET", hdr1, "bQ!=="), nil, "invalid base64 data"},
		{"v4 attachment across bodies", []obs.Obs{
			get(0, 5, q4, 200, open4), get(6, 15, q4sid+"&t=c", 200, hdr1), get(16, 20, q4sid+"&t=d", 200, "bAQID"),
		}, []bool{true}, ""},
		{"v3 64 KiB", v3(hdr1, "b4"+big), []bool{true}, ""},
		{"v3 two attachments", v3(hdr2, "b4AQID", "b4QQ=="), []bool{true, true}, ""},
		{"v3 padding bits set", v3(hdr1, "b4QR=="), []bool{false}, ""},
		{"v3 invalid", v3(hdr1, "b4QQ=!"), nil, "invalid base64 data"},
		{"v3 binary ping", v3("b2AQID"), nil, ""},
		{"v4 attachment without a header", v4("GET", "bAQID"), nil, "binary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantEvs, want := jsonLines(t, false, tc.seq)
			gotEvs, got := jsonLines(t, true, tc.seq)
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			var bin *event.Event
			var errMsg string
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("line %d\n%.300s\nwant\n%.300s", i, got[i], want[i])
				}
				g, w := gotEvs[i], wantEvs[i]
				if g.Size != w.Size || g.Attachments != w.Attachments || len(g.Buffers) != len(w.Buffers) {
					t.Fatalf("event %d size %d attachments %d/%d, want %d %d/%d", i, g.Size, g.Attachments, len(g.Buffers), w.Size, w.Attachments, len(w.Buffers))
				}
				if strings.HasPrefix(g.Type, "BINARY_") {
					bin = &gotEvs[i]
					for j, b := range g.Buffers {
						if b != nil && !bytes.Equal(b, w.Buffers[j]) {
							t.Fatalf("attachment %d differs", j)
						}
					}
				}
				if g.Kind == event.KindError {
					errMsg = g.Error
				}
			}
			if !strings.Contains(errMsg, tc.err) || (tc.err == "") != (errMsg == "") {
				t.Fatalf("decode error %q, want one with %q", errMsg, tc.err)
			}
			if tc.kept == nil {
				return
			}
			if bin == nil || len(bin.Buffers) != len(tc.kept) {
				t.Fatalf("no binary event with %d attachments", len(tc.kept))
			}
			for j, k := range tc.kept {
				if k != (bin.Buffers[j] == nil) {
					t.Fatalf("attachment %d kept as text: %v, want %v", j, bin.Buffers[j] == nil, k)
				}
			}
		})
	}
}

// FuzzKeepBase64JSON: whatever text a polling base64 record carries as an
// attachment, the --json lines are the same with OmitBinaryRaw (where
// canonical text is carried through) and without (where it is decoded and
// encoded again).
func FuzzKeepBase64JSON(f *testing.F) {
	for _, s := range []string{"AQID", "QQ==", "QR==", "QUI=", "QUJ=", "QQ", "Q!==", "", "====", "QQ\n==", "AQID\x1ebQQ=="} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, b64 string, v3 bool) {
		const hdr = `452-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`
		seq := []obs.Obs{get(0, 5, q4, 200, open4), get(6, 15, q4sid+"&t=c", 200, hdr+"\x1eb"+b64+"\x1ebAQID")}
		if v3 {
			seq = []obs.Obs{
				get(0, 5, "/socket.io/?EIO=3&transport=polling", 200, v3len(open3)),
				get(6, 15, q3sid+"&t=c", 200, v3len(hdr)+v3len("b4"+b64)+v3len("b4AQID")),
			}
		}
		_, want := jsonLines(t, false, seq)
		_, got := jsonLines(t, true, seq)
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Fatalf("with OmitBinaryRaw\n%s\nwithout\n%s", got, want)
		}
	})
}
