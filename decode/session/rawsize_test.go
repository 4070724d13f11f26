package session

import (
	"bytes"
	"testing"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// binaryPollingSize must measure exactly what rawPolling would build.
func TestBinaryPollingSize(t *testing.T) {
	full := &Tracker{}
	for _, v := range []eio.Version{eio.V3, eio.V4} {
		for _, xhr2 := range []bool{false, true} {
			for _, n := range []int{0, 1, 2, 3, 4, 5, 64 << 10} {
				p := eio.Packet{Type: eio.Message, Binary: true, Data: make([]byte, n)}
				raw, size := full.rawPolling(v, p, xhr2)
				if got := binaryPollingSize(v, p, xhr2); got != len(raw) || size != len(raw) {
					t.Errorf("v%d xhr2=%v %d bytes: size %d and %d, wire form %d", v, xhr2, n, got, size, len(raw))
				}
			}
		}
	}
}

// With OmitBinaryRaw every scenario yields the same events, only without
// the wire bytes of binary polling packets.
func TestOmitBinaryRaw(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := run(NewTracker(Options{}), sc.seq())
			tr := NewTracker(Options{})
			tr.OmitBinaryRaw()
			got := run(tr, sc.seq())
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				if w.Binary && w.Transport == "polling" && w.Raw != nil {
					if g.Raw != nil {
						t.Errorf("event %d kept %d raw bytes", i, len(g.Raw))
					}
				} else if !bytes.Equal(g.Raw, w.Raw) {
					t.Errorf("event %d raw %q, want %q", i, g.Raw, w.Raw)
				}
				if summary(g) != summary(w) || g.Size != w.Size || g.Attachments != w.Attachments || !keptBuffers(g.Buffers, w.Buffers) {
					t.Errorf("event %d = %q size %d, want %q size %d", i, summary(g), g.Size, summary(w), w.Size)
				}
				if gl, wl := jsonLine(t, g), jsonLine(t, w); gl != wl {
					t.Errorf("event %d --json line\n%s\nwant\n%s", i, gl, wl)
				}
			}
		})
	}
}

// keptBuffers: got holds want's attachments, except that one kept as base64
// text under OmitBinaryRaw is nil.
func keptBuffers(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != nil && !bytes.Equal(got[i], want[i]) {
			return false
		}
	}
	return true
}
