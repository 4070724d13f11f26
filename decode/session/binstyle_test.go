package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// SetBinaryStyle decides how attachments appear in Args on every path:
// WebSocket binary frames, polling base64 records kept as text under
// OmitBinaryRaw, and msgpack's inline binary values.
func TestBinaryStyle(t *testing.T) {
	att := bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 0x01}, 16<<10)
	sum := sha256.Sum256(att)
	summary := `{"_binary":{"size":65536,"sha256":"` + hex.EncodeToString(sum[:8]) + `","head":"` + hex.EncodeToString(att[:32]) + `"}}`
	none := `{"_binary":{"size":65536}}`
	full := `{"_binary":"` + base64.StdEncoding.EncodeToString(att) + `"}`
	ws := func(msgs ...obs.Obs) []obs.Obs {
		return append([]obs.Obs{
			wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"),
			wsText(1, 1, s2c, open4ws),
			wsText(2, 1, c2s, "40"),
		}, msgs...)
	}
	const hdr = `451-["upload",{"_placeholder":true,"num":0}]`
	mp := append([]byte("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa2up\xc6\x00\x01\x00\x00"), att...)
	paths := []struct {
		name string
		seq  []obs.Obs
	}{
		{"websocket", ws(wsText(3, 1, c2s, hdr), wsBin(4, 1, c2s, att))},
		{"polling base64", []obs.Obs{get(0, 5, q4, 200, open4), post(10, 12, q4sid+"&t=b", hdr+"\x1eb"+base64.StdEncoding.EncodeToString(att))}},
		{"msgpack", ws(wsBin(3, 1, c2s, mp))},
	}
	for _, p := range paths {
		for _, tc := range []struct {
			st   sio.BinaryStyle
			want string
		}{{sio.BinaryFull, full}, {sio.BinarySummary, summary}, {sio.BinaryNone, none}} {
			t.Run(p.name+" "+tc.st.String(), func(t *testing.T) {
				tr := NewTracker(Options{})
				tr.OmitBinaryRaw()
				tr.SetBinaryStyle(tc.st)
				var args json.RawMessage
				for _, ev := range run(tr, p.seq) {
					if ev.Type == "BINARY_EVENT" || ev.Event == "up" {
						line := jsonLine(t, ev)
						var l struct{ Args json.RawMessage }
						if err := json.Unmarshal([]byte(line), &l); err != nil {
							t.Fatalf("invalid --json line: %v", err)
						}
						args = l.Args
					}
				}
				if want := "[" + tc.want + "]"; string(args) != want {
					t.Fatalf("args %.300s\nwant %.300s", args, want)
				}
			})
		}
	}
}
