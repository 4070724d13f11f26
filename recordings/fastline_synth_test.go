package recordings_test

import (
	"bufio"
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/synthrec"
	"github.com/sioproxy/sioproxy/recordings"
)

// The replay benchmark's recordings (internal/synthrec: mixed WebSocket
// and polling sessions, binary attachments, and the WebSocket-only
// sessions of the report's tests) read line for line as encoding/json
// reads them, and all through the fast path.
func TestLineDecoderSynthetic(t *testing.T) {
	var mixed bytes.Buffer
	w := recordings.NewWriter(&mixed, recordings.Header{Mode: "reverse", Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
	if _, err := synthrec.WriteMixed(w, 2<<20, func() int64 { w.Flush(); return int64(mixed.Len()) }); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var ws bytes.Buffer
	if _, err := synthrec.Write(&ws, synthrec.Options{Sessions: 30, Messages: 40, Payload: 100}); err != nil {
		t.Fatal(err)
	}
	for name, rec := range map[string][]byte{"mixed": mixed.Bytes(), "websocket": ws.Bytes()} {
		t.Run(name, func(t *testing.T) {
			sc := bufio.NewScanner(bytes.NewReader(rec))
			sc.Buffer(nil, recordings.MaxLine)
			sc.Scan() // the header
			var d recordings.LineDecoder
			n := 0
			for sc.Scan() {
				n++
				fast, ok := d.Decode(sc.Bytes())
				if !ok {
					t.Fatalf("line %d left to encoding/json: %s", n+1, sc.Text())
				}
				ref, err := recordings.DecodeLineJSON(sc.Bytes())
				if err != nil || !reflect.DeepEqual(fast, ref) {
					t.Fatalf("line %d: encoding/json reads %+v (%v), the fast decoder %+v", n+1, ref, err, fast)
				}
			}
			if n < 1000 {
				t.Fatalf("only %d lines", n)
			}
		})
	}
}
