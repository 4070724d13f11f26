package active

import (
	"bytes"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
)

// FuzzReframe encodes messages with the re-framing encoder (masking,
// one frame per message, sioproxy's own deflate context with or without
// takeover) and decodes the stream with the tap's parser configured as the
// receiver: every message must come back byte for byte, in order.
func FuzzReframe(f *testing.F) {
	f.Add([]byte(`42["chat","hello"]`), []byte{0, 1, 2, 255}, uint8(0))
	f.Add(bytes.Repeat([]byte("abc"), 20000), []byte(`3`), uint8(3))
	f.Add([]byte{}, []byte(`42["x"]`), uint8(5))
	f.Fuzz(func(t *testing.T, a, b []byte, mode uint8) {
		dir := decode.Dir(mode & 1)
		ext := ws.Extensions{}
		if mode&2 != 0 {
			ext = ws.Extensions{Deflate: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15,
				ClientNoContextTakeover: mode&4 != 0, ServerNoContextTakeover: mode&4 != 0}
		}
		d := &wsDir{dir: dir, deflate: ext.Deflate, compress: ext.Deflate, resetEach: mode&4 != 0}
		msgs := [][]byte{a, b, a, b[:len(b)/2]}
		var stream []byte
		for i, m := range msgs {
			op := ws.OpText
			if i%2 == 1 {
				op = ws.OpBinary
			}
			stream = append(stream, d.frame(op, m)...)
		}
		p := ws.NewParser(dir, ext, ws.Options{})
		var got [][]byte
		split := len(stream) / 3
		for _, chunk := range [][]byte{stream[:split], stream[split:]} {
			err := p.Feed(chunk, func(m *ws.Message) {
				if m.Err != nil {
					t.Fatalf("message %d: %v", len(got), m.Err)
				}
				if m.Masked != (dir == decode.C2S) {
					t.Fatalf("message %d: masked %v in %s", len(got), m.Masked, dir)
				}
				got = append(got, bytes.Clone(m.Data))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(msgs) {
			t.Fatalf("%d messages back, want %d", len(got), len(msgs))
		}
		for i := range msgs {
			if !bytes.Equal(got[i], msgs[i]) {
				t.Fatalf("message %d: %q, want %q", i, got[i], msgs[i])
			}
		}
	})
}

// FuzzBoundary checks the frame-header follower against the parser: it is
// at a message boundary exactly when the parser has emitted every data
// message whose frames it was fed.
func FuzzBoundary(f *testing.F) {
	f.Add([]byte{0x81, 0x02, 'h', 'i', 0x01, 0x01, 'a', 0x89, 0x00, 0x80, 0x01, 'b'}, 3)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		var s boundary
		p := ws.NewParser(decode.S2C, ws.Extensions{}, ws.Options{})
		for i := 0; i < len(stream); {
			n := s.feed(stream[i:], true)
			if n <= 0 {
				t.Fatalf("feed took %d bytes", n)
			}
			if err := p.Feed(stream[i:i+n], func(m *ws.Message) {}); err != nil {
				return // the parser rejects what the follower does not check; fine
			}
			i += n
			if s.at() && i < len(stream) && cut%7 == 0 {
				// A boundary must be where a new message may start: the
				// parser then accepts a whole data frame here (inside a
				// fragmented message it would not).
				if err := p.Feed([]byte{0x81, 0x00}, func(*ws.Message) {}); err != nil {
					t.Fatalf("boundary at %d is not a frame start: %v", i, err)
				}
			}
		}
	})
}
