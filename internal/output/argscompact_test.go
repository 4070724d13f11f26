package output

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// binaryArgs is a BINARY_EVENT's args after the decoder inlined an n-byte
// attachment, with every base64 letter in use.
func binaryArgs(n int) json.RawMessage {
	att := make([]byte, n)
	for i := range att {
		att[i] = byte(i * 7)
	}
	return raw(`[{"name":"a.bin","data":{"_binary":"` + base64.StdEncoding.EncodeToString(att) + `"}}]`)
}

func binaryEvent(n int) event.Event {
	return event.Event{TS: at(0), Kind: event.KindPacket, Sid: "a1B2c3d4e5f6g7h8AAAB", Transport: "websocket", Dir: "c2s", EIO: 4,
		Engine: "message", Binary: true, Size: n + 80, Type: "BINARY_EVENT", Nsp: "/", Event: "upload", Args: binaryArgs(n), Attachments: 1}
}

// With ArgsCompact the writer copies Args; the line is the one the scanning
// path and encoding/json write for the same, compact, args.
func TestArgsCompactLine(t *testing.T) {
	tests := []struct {
		name    string
		args    json.RawMessage
		compact bool
		want    string // args on the line
		// same: the line is also what the other path and encoding/json
		// write, as it must be whenever args are compact.
		same bool
	}{
		{"python-socketio spacing scanned", raw(`[ {"a": 1}, "x y" ]`), false, `[{"a":1},"x y"]`, false},
		{"compact copied", raw(`[{"a":1},"x y","\u00e9<>&"]`), true, `[{"a":1},"x y","\u00e9<>&"]`, true},
		{"compact scanned", raw(`[{"a":1},"x y"]`), false, `[{"a":1},"x y"]`, true},
		// The flag is the decoder's promise; the writer does not check it,
		// which is what saves the scan.
		{"flag trusted", raw(`[1, 2]`), true, `[1, 2]`, false},
		{"binary 64 KiB copied", binaryArgs(64 << 10), true, string(binaryArgs(64 << 10)), true},
		{"binary 64 KiB scanned", binaryArgs(64 << 10), false, string(binaryArgs(64 << 10)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := binaryEvent(0)
			ev.Args, ev.ArgsCompact = tc.args, tc.compact
			got, ok := appendEvent(nil, &ev)
			if !ok {
				t.Fatal("appendEvent fell back")
			}
			var line struct{ Args json.RawMessage }
			if err := json.Unmarshal(got, &line); err != nil {
				t.Fatal(err)
			}
			if string(line.Args) != tc.want {
				t.Fatalf("args %.200s, want %.200s", line.Args, tc.want)
			}
			if !tc.same {
				return
			}
			ev.ArgsCompact = !ev.ArgsCompact
			other, _ := appendEvent(nil, &ev)
			want, err := encodingJSON(&ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, other) || !bytes.Equal(got, want) {
				t.Fatalf("line differs with ArgsCompact=%v or from encoding/json:\n got %.200s\nflip %.200s\nwant %.200s", tc.compact, got, other, want)
			}
		})
	}
}

// BenchmarkJSONBinary64KiB writes a BINARY_EVENT line with a 64 KiB
// attachment. "scan" is the writer before ArgsCompact (and for args nobody
// vouches for); "compact" is what the decoder's flag buys.
func BenchmarkJSONBinary64KiB(b *testing.B) {
	for _, compact := range []bool{false, true} {
		name := "scan"
		if compact {
			name = "compact"
		}
		b.Run(name, func(b *testing.B) {
			ev := binaryEvent(64 << 10)
			ev.ArgsCompact = compact
			w := NewJSON(discard{})
			b.ReportAllocs()
			b.SetBytes(int64(len(ev.Args)))
			for b.Loop() {
				if err := w.Write(&ev); err != nil {
					b.Fatal(err)
				}
				w.Flush()
			}
		})
	}
}
