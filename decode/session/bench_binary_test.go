package session

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/output"
)

// BenchmarkTrackerPollingBinary64K is one polling GET carrying a binary
// event with a 64 KiB attachment as a base64 record, decoded by a Tracker in
// --json mode (OmitBinaryRaw) and written as a --json line.
func BenchmarkTrackerPollingBinary64K(b *testing.B) {
	att := bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 0x01}, 16<<10)
	b64 := base64.StdEncoding.EncodeToString(att)
	header := `451-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`
	for _, bc := range []struct {
		name, handshake, url, open, body string
	}{
		{"v4", q4, q4sid, open4, header + "\x1eb" + b64},
		{"v3", "/socket.io/?EIO=3&transport=polling", q3sid, v3len(open3), v3len(header) + v3len("b4"+b64)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := NewTracker(Options{})
			tr.OmitBinaryRaw()
			w := output.NewJSON(io.Discard)
			write := func(ev event.Event) {
				if err := w.Write(&ev); err != nil {
					b.Fatal(err)
				}
			}
			tr.Observe(get(0, 1, bc.handshake, 200, bc.open), write)
			o := get(2, 3, bc.url, 200, bc.body)
			found := false
			tr.Observe(o, func(ev event.Event) {
				found = found || bytes.Contains(ev.Args, []byte(`{"_binary":"`+b64+`"}`))
				write(ev)
			})
			if !found {
				b.Fatal("no binary event with the attachment")
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				tr.Observe(o, write)
			}
			w.Flush()
		})
	}
}
