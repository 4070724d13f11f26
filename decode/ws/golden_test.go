package ws

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// goldenMsg is one line of testdata/deflate_takeover_*.golden.jsonl, written
// by testdata/gen_deflate_fixture.py from the plaintext it compressed.
type goldenMsg struct {
	Op          byte   `json:"op"`
	Compressed  bool   `json:"compressed"`
	Frames      int    `json:"frames"`
	Data        string `json:"data"` // hex
	CloseCode   int    `json:"close_code"`
	CloseReason string `json:"close_reason"`
}

// TestGoldenDeflateTakeover decodes context-takeover streams that zlib (not
// Go's flate) compressed, one per direction.
func TestGoldenDeflateTakeover(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  decode.Dir
	}{{"c2s", decode.C2S}, {"s2c", decode.S2C}} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile("testdata/deflate_takeover_" + tc.name + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			want := readGolden(t, "testdata/deflate_takeover_"+tc.name+".golden.jsonl")
			ext, err := ParseExtensions("permessage-deflate; client_max_window_bits=15")
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []int{len(in), 1, 13, 1000} {
				var chunks [][]byte
				for i := 0; i < len(in); i += step {
					chunks = append(chunks, in[i:min(i+step, len(in))])
				}
				msgs, err := feedAll(NewParser(tc.dir, ext, Options{}), chunks...)
				if err != nil {
					t.Fatalf("chunks of %d: %v", step, err)
				}
				if len(msgs) != len(want) {
					t.Fatalf("chunks of %d: %d messages, want %d", step, len(msgs), len(want))
				}
				wire := 0
				for i, m := range msgs {
					w := want[i]
					g := goldenMsg{Op: m.Op, Compressed: m.Compressed, Frames: m.Frames,
						Data: hex.EncodeToString([]byte(m.Data)), CloseCode: m.Code, CloseReason: m.Reason}
					if g != w || m.Err != "" || m.Masked != (tc.dir == decode.C2S) {
						t.Fatalf("chunks of %d: message %d\n got %+.200v (err %q, masked %v)\nwant %+.200v", step, i, g, m.Err, m.Masked, w)
					}
					wire += m.WireLen
				}
				if wire != len(in) {
					t.Fatalf("chunks of %d: WireLen sums to %d, stream is %d bytes", step, wire, len(in))
				}
			}
		})
	}
}

func readGolden(t *testing.T, path string) []goldenMsg {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenMsg
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var g goldenMsg
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(fmt.Errorf("%s:%d: %w", path, n, err))
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
