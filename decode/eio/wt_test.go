package eio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// Vector 23: WebTransport framing.
func TestWTVectors(t *testing.T) {
	big := bytes.Repeat([]byte{0xab}, 12345)
	tests := []struct {
		name string
		wire []byte
		want Packet
	}{
		{"hello", []byte{0x06, 0x34, 0x68, 0x65, 0x6c, 0x6c, 0x6f}, txt(Message, "hello")},
		{"1€", []byte{0x05, 0x34, 0x31, 0xe2, 0x82, 0xac}, txt(Message, "1€")},
		{"ping", []byte{0x01, 0x32}, txt(Ping, "")},
		{"binary", []byte{0x83, 0x01, 0x02, 0x03}, bin(Message, 1, 2, 3)},
		{"12345-byte binary", cat([]byte{0xfe, 0x30, 0x39}, big), Packet{Type: Message, Data: big, Binary: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{len(tc.wire), 1, 2, 7} {
				var p WTParser
				var got []Packet
				for off := 0; off < len(tc.wire); off += step {
					end := min(off+step, len(tc.wire))
					if err := p.Feed(tc.wire[off:end], func(pk Packet) { got = append(got, pk) }); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
				}
				assertPackets(t, got, []Packet{tc.want})
			}
			if enc := EncodeWT(tc.want); !bytes.Equal(enc, tc.wire) {
				t.Fatalf("encode = % x, want % x", enc[:min(len(enc), 16)], tc.wire[:min(len(tc.wire), 16)])
			}
		})
	}
	t.Run("64-bit length header", func(t *testing.T) {
		hdr := []byte{0xff, 0x00, 0x00, 0x00, 0x00, 0x07, 0x5b, 0xcd, 0x15}
		n, isBin, size := WTHeader(hdr)
		if n != 123456789 || !isBin || size != 9 {
			t.Fatalf("WTHeader = %d %v %d", n, isBin, size)
		}
		if _, _, size := WTHeader(hdr[:5]); size != 0 {
			t.Fatalf("short header size = %d, want 0", size)
		}
		// Over the default cap: an error, with nothing allocated for it.
		var p WTParser
		if err := p.Feed(hdr, func(Packet) { t.Fatal("emitted") }); err == nil {
			t.Fatal("123456789-byte packet accepted under the default cap")
		}
		// Under a raised cap the parser waits for the payload.
		p = WTParser{Max: 1 << 30}
		if err := p.Feed(hdr, func(Packet) { t.Fatal("emitted") }); err != nil {
			t.Fatal(err)
		}
		if p.need != 123456789 {
			t.Fatalf("waiting for %d bytes", p.need)
		}
	})
	t.Run("zero length", func(t *testing.T) {
		var p WTParser
		err := p.Feed([]byte{0x00}, func(Packet) { t.Fatal("emitted") })
		var de *decode.Error
		if !errors.As(err, &de) || de.Offset != 0 || de.Index != 0 {
			t.Fatalf("err = %v", err)
		}
		if err2 := p.Feed([]byte{0x01, 0x32}, func(Packet) { t.Fatal("emitted after error") }); err2 == nil {
			t.Fatal("parser recovered after losing framing")
		}
	})
	t.Run("bad type in second packet", func(t *testing.T) {
		var p WTParser
		var got []Packet
		err := p.Feed([]byte{0x01, 0x32, 0x02, 0x39, 0x39}, func(pk Packet) { got = append(got, pk) })
		var de *decode.Error
		if !errors.As(err, &de) || de.Index != 1 || de.Offset != 3 {
			t.Fatalf("err = %v", err)
		}
		assertPackets(t, got, []Packet{txt(Ping, "")})
	})
	t.Run("16-bit encode boundary", func(t *testing.T) {
		for _, n := range []int{124, 125, 126, 65535, 65536} {
			p := Packet{Type: Message, Data: make([]byte, n), Binary: true}
			enc := EncodeWT(p)
			var got []Packet
			var wp WTParser
			if err := wp.Feed(enc, func(pk Packet) { got = append(got, pk) }); err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			assertPackets(t, got, []Packet{p})
		}
	})
}
