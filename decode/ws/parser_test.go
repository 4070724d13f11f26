package ws

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

func hexb(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		for _, c := range []byte(f) {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | (c - '0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | (c - 'a' + 10)
			default:
				t.Fatalf("bad hex %q", f)
			}
		}
		b = append(b, v)
	}
	return b
}

type parseCase struct {
	name string
	dir  decode.Dir
	ext  Extensions
	opt  Options
	in   []byte
	want []got
	err  string // substring of the fatal error, "" for none
}

var deflateExt = Extensions{Deflate: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}

func parseCases(t testing.TB) []parseCase {
	hello := []byte("Hello")
	p125 := bytes.Repeat([]byte("a"), 125)
	p126 := bytes.Repeat([]byte("b"), 126)
	p65535 := bytes.Repeat([]byte("c"), 65535)
	p65536 := bytes.Repeat([]byte("d"), 65536)
	chat := []byte(`42["chat",{"user":"ann","text":"hello there"}]`)
	return []parseCase{
		// RFC 6455 §5.7 examples.
		{name: "rfc unmasked text", dir: decode.S2C, in: hexb(t, "81 05 48 65 6c 6c 6f"),
			want: []got{{Op: 1, Data: "Hello", WireLen: 7, Frames: 1, PayloadLen: 5}}},
		{name: "rfc masked text", dir: decode.C2S, in: hexb(t, "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
			want: []got{{Op: 1, Data: "Hello", Masked: true, WireLen: 11, Frames: 1, PayloadLen: 5}}},
		{name: "rfc fragmented", dir: decode.S2C, in: hexb(t, "01 03 48 65 6c 80 02 6c 6f"),
			want: []got{{Op: 1, Data: "Hello", WireLen: 9, Frames: 2, PayloadLen: 5}}},
		{name: "rfc ping and masked pong", dir: decode.S2C, in: hexb(t, "89 05 48 65 6c 6c 6f 8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
			want: []got{
				{Op: 9, Data: "Hello", WireLen: 7, Frames: 1, PayloadLen: 5},
				{Op: 10, Data: "Hello", Masked: true, WireLen: 11, Frames: 1, PayloadLen: 5},
			}},
		{name: "masked client event", dir: decode.C2S, in: build(fr{op: 1, fin: true, masked: true, data: chat}),
			want: []got{{Op: 1, Data: string(chat), Masked: true, WireLen: 2 + 4 + len(chat), Frames: 1, PayloadLen: len(chat)}}},
		{name: "length 125 masked", dir: decode.C2S, in: build(fr{op: 2, fin: true, masked: true, data: p125}),
			want: []got{{Op: 2, Data: string(p125), Masked: true, WireLen: 2 + 4 + 125, Frames: 1, PayloadLen: 125}}},
		{name: "length 126 unmasked", dir: decode.S2C, in: build(fr{op: 2, fin: true, data: p126}),
			want: []got{{Op: 2, Data: string(p126), WireLen: 4 + 126, Frames: 1, PayloadLen: 126}}},
		{name: "length 65535 masked", dir: decode.C2S, in: build(fr{op: 2, fin: true, masked: true, data: p65535}),
			want: []got{{Op: 2, Data: string(p65535), Masked: true, WireLen: 4 + 4 + 65535, Frames: 1, PayloadLen: 65535}}},
		{name: "length 65536 unmasked", dir: decode.S2C, in: build(fr{op: 2, fin: true, data: p65536}),
			want: []got{{Op: 2, Data: string(p65536), WireLen: 10 + 65536, Frames: 1, PayloadLen: 65536}}},
		{name: "non-minimal 64-bit length is accepted", dir: decode.S2C, in: hexb(t, "82 7f 00 00 00 00 00 00 00 02 01 02"),
			want: []got{{Op: 2, Data: "\x01\x02", WireLen: 12, Frames: 1, PayloadLen: 2}}},
		{name: "zero-length frames", dir: decode.C2S, in: build(
			fr{op: 1, fin: true, masked: true},
			fr{op: 2, fin: false, masked: true},
			fr{op: 0, fin: true, masked: true},
			fr{op: 9, fin: true, masked: true}),
			want: []got{
				{Op: 1, Masked: true, WireLen: 6, Frames: 1},
				{Op: 2, Masked: true, WireLen: 12, Frames: 2},
				{Op: 9, Masked: true, WireLen: 6, Frames: 1},
			}},
		{name: "fragmented with ping in between", dir: decode.C2S, in: build(
			fr{op: 1, masked: true, data: []byte(`42["ch`)},
			fr{op: 9, fin: true, masked: true, data: []byte("p")},
			fr{op: 0, masked: true, data: []byte(`at","hi`)},
			fr{op: 10, fin: true, masked: true},
			fr{op: 0, fin: true, masked: true, data: []byte(`"]`)}),
			want: []got{
				{Op: 9, Data: "p", Masked: true, WireLen: 7, Frames: 1, PayloadLen: 1},
				{Op: 10, Masked: true, WireLen: 6, Frames: 1},
				{Op: 1, Data: `42["chat","hi"]`, Masked: true, WireLen: 3*6 + 15, Frames: 3, PayloadLen: 15},
			}},
		{name: "unmasked client frame is not fatal", dir: decode.C2S, in: build(fr{op: 1, fin: true, data: hello}),
			want: []got{{Op: 1, Data: "Hello", WireLen: 7, Frames: 1, PayloadLen: 5}}},
		{name: "close without code", dir: decode.S2C, in: hexb(t, "88 00"),
			want: []got{{Op: 8, WireLen: 2, Frames: 1}}},
		{name: "close with code", dir: decode.C2S, in: build(fr{op: 8, fin: true, masked: true, data: AppendClosePayload(nil, 1000, "")}),
			want: []got{{Op: 8, Data: "\x03\xe8", Masked: true, WireLen: 8, Frames: 1, PayloadLen: 2, Code: 1000}}},
		{name: "close with code and reason", dir: decode.S2C, in: build(fr{op: 8, fin: true, data: AppendClosePayload(nil, 4001, "bye ✓")}),
			want: []got{{Op: 8, Data: "\x0f\xa1bye ✓", WireLen: 2 + 2 + 7, Frames: 1, PayloadLen: 9, Code: 4001, Reason: "bye ✓"}}},
		{name: "close with 1-byte payload", dir: decode.S2C, in: hexb(t, "88 01 03"),
			want: []got{{Op: 8, Data: "\x03", WireLen: 3, Frames: 1, PayloadLen: 1,
				Err: "ws: close payload of 1 byte (0x03), want 0 or at least 2 (offset 0): invalid close frame"}}},
		{name: "close with code 1005", dir: decode.S2C, in: hexb(t, "88 02 03 ed"),
			want: []got{{Op: 8, Data: "\x03\xed", WireLen: 4, Frames: 1, PayloadLen: 2, Code: 1005,
				Err: "ws: close code 1005 may not be sent on the wire (offset 0): invalid close frame"}}},
		{name: "close with bad utf-8 reason", dir: decode.S2C, in: hexb(t, "88 03 03 e8 ff"),
			want: []got{{Op: 8, Data: "\x03\xe8\xff", WireLen: 5, Frames: 1, PayloadLen: 3, Code: 1000, Reason: "\xff",
				Err: `ws: close reason "\xff" is not valid UTF-8 (offset 0): invalid close frame`}}},
		{name: "over MaxMessage is skipped, sync kept", dir: decode.C2S, opt: Options{MaxMessage: 10},
			in: build(
				fr{op: 2, fin: true, masked: true, data: make([]byte, 20)},
				fr{op: 1, masked: true, data: []byte("12345")},
				fr{op: 9, fin: true, masked: true},
				fr{op: 0, fin: true, masked: true, data: []byte("678901")},
				fr{op: 1, fin: true, masked: true, data: []byte("ok")}),
			want: []got{
				{Op: 2, Masked: true, WireLen: 26, Frames: 1, PayloadLen: 20,
					Err: "ws: message of 20 bytes exceeds MaxMessage 10; payload skipped (offset 0): message too large"},
				{Op: 9, Masked: true, WireLen: 6, Frames: 1},
				{Op: 1, Masked: true, WireLen: 11 + 12, Frames: 2, PayloadLen: 11,
					Err: "ws: message of 11 bytes exceeds MaxMessage 10; payload skipped (offset 26): message too large"},
				{Op: 1, Data: "ok", Masked: true, WireLen: 8, Frames: 1, PayloadLen: 2},
			}},
		{name: "exactly MaxMessage is kept", dir: decode.S2C, opt: Options{MaxMessage: 5}, in: build(fr{op: 1, fin: true, data: hello}),
			want: []got{{Op: 1, Data: "Hello", WireLen: 7, Frames: 1, PayloadLen: 5}}},

		// Fatal framing errors: messages before the error still come out.
		{name: "reserved opcode 3", dir: decode.S2C, in: append(build(fr{op: 1, fin: true, data: hello}), 0x83, 0x00),
			want: []got{{Op: 1, Data: "Hello", WireLen: 7, Frames: 1, PayloadLen: 5}},
			err:  "ws: reserved opcode 3 (offset 7)"},
		{name: "reserved opcode 11", dir: decode.S2C, in: hexb(t, "8b 00"), err: "reserved opcode 11 (offset 0)"},
		{name: "RSV2 set", dir: decode.S2C, in: hexb(t, "a1 00"), err: "reserved bit RSV2 or RSV3 set (first byte 0xa1)"},
		{name: "RSV3 set even with deflate", dir: decode.S2C, ext: deflateExt, in: hexb(t, "91 00"), err: "reserved bit RSV2 or RSV3 set (first byte 0x91)"},
		{name: "RSV1 without deflate", dir: decode.S2C, in: hexb(t, "c1 00"), err: "RSV1 set on opcode 1 without permessage-deflate"},
		{name: "RSV1 on control frame", dir: decode.S2C, ext: deflateExt, in: hexb(t, "c9 00"), err: "RSV1 set on control frame opcode 9"},
		{name: "RSV1 on continuation", dir: decode.S2C, ext: deflateExt, in: hexb(t, "41 01 00 c0 00"), err: "RSV1 set on a continuation frame (offset 3)"},
		{name: "control frame over 125", dir: decode.S2C, in: hexb(t, "89 7e 00 7e"), err: "control frame opcode 9 with length code 126, over 125"},
		{name: "fragmented control frame", dir: decode.C2S, in: hexb(t, "08 80 01 02 03 04"), err: "fragmented control frame opcode 8"},
		{name: "continuation without start", dir: decode.S2C, in: hexb(t, "80 00"), err: "continuation frame without a message in progress (offset 0)"},
		{name: "new message inside fragmented one", dir: decode.S2C, in: hexb(t, "01 01 61 81 00"), err: "data frame opcode 1 inside a fragmented opcode 1 message (offset 3)"},
		{name: "64-bit length with MSB set", dir: decode.S2C, in: hexb(t, "82 7f 80 00 00 00 00 00 00 01"),
			err: "64-bit payload length 0x8000000000000001 has its most significant bit set (offset 0)"},
	}
}

func TestParser(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(tc.dir, tc.ext, tc.opt)
			msgs, err := feedAll(p, tc.in)
			if tc.err != "" {
				mustUndecodable(t, err, tc.err)
				if !p.Undecodable() || p.Err() != err {
					t.Fatalf("Undecodable()=%v Err()=%v after %v", p.Undecodable(), p.Err(), err)
				}
				called := false
				if again := p.Feed(build(fr{op: 1, fin: true, data: []byte("x")}), func(*Message) { called = true }); again != err || called {
					t.Fatalf("Feed after fatal error: %v (called=%v), want the same %v", again, called, err)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			} else if p.Undecodable() || p.Err() != nil {
				t.Fatalf("Undecodable()=%v Err()=%v without error", p.Undecodable(), p.Err())
			}
			sameResult(t, "messages", tc.want, msgs, err, err)
			var de *decode.Error
			if errors.As(err, &de) && p.Offset() != int64(de.Offset) {
				t.Fatalf("Offset()=%d, error at %d", p.Offset(), de.Offset)
			}
			if tc.err == "" && p.Offset() != int64(len(tc.in)) {
				t.Fatalf("Offset()=%d for %d input bytes", p.Offset(), len(tc.in))
			}
		})
	}
}

// TestChunkSplit feeds every case split at every offset into two chunks, and
// one byte at a time, and wants exactly what one Feed gave.
func TestChunkSplit(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := feedAll(NewParser(tc.dir, tc.ext, tc.opt), tc.in)
			step := 1
			if len(tc.in) > 2000 {
				step = 997 // large payloads: splitting inside them is one code path
			}
			for i := 0; i <= len(tc.in); i += step {
				got, err := feedAll(NewParser(tc.dir, tc.ext, tc.opt), tc.in[:i], tc.in[i:])
				sameResult(t, "split at "+strconv.Itoa(i), want, got, wantErr, err)
			}
			if len(tc.in) <= 2000 {
				var chunks [][]byte
				for i := range tc.in {
					chunks = append(chunks, tc.in[i:i+1])
				}
				got, err := feedAll(NewParser(tc.dir, tc.ext, tc.opt), chunks...)
				sameResult(t, "byte at a time", want, got, wantErr, err)
			}
		})
	}
}

func TestReset(t *testing.T) {
	p := NewParser(decode.S2C, Extensions{}, Options{})
	if _, err := feedAll(p, hexb(t, "83 00")); err == nil {
		t.Fatal("want a fatal error")
	}
	p.Reset()
	msgs, err := feedAll(p, hexb(t, "81 05 48 65 6c 6c 6f"))
	if err != nil || len(msgs) != 1 || msgs[0].Data != "Hello" || p.Undecodable() {
		t.Fatalf("after Reset: %v %v undecodable=%v", msgs, err, p.Undecodable())
	}
	// A Reset in the middle of a frame drops the partial frame.
	if _, err := feedAll(p, hexb(t, "01 03 48")); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if msgs, err := feedAll(p, hexb(t, "81 01 41")); err != nil || len(msgs) != 1 || msgs[0].Data != "A" {
		t.Fatalf("after mid-frame Reset: %v %v", msgs, err)
	}
}

func TestAppendFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		op      byte
		fin     bool
		rsv1    bool
		mask    *[4]byte
		payload []byte
		want    string
	}{
		{"rfc masked", OpText, true, false, &testKey, []byte("Hello"), "81 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"rfc unmasked fragment", OpText, false, false, nil, []byte("Hel"), "01 03 48 65 6c"},
		{"rsv1", OpText, true, true, nil, []byte{0xf2}, "c1 01 f2"},
		{"empty close", OpClose, true, false, nil, nil, "88 00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Clone(tc.payload)
			b := AppendFrame(nil, tc.op, tc.fin, tc.rsv1, tc.mask, tc.payload)
			if !bytes.Equal(b, hexb(t, tc.want)) {
				t.Fatalf("got % x, want %s", b, tc.want)
			}
			if !bytes.Equal(payload, tc.payload) {
				t.Fatal("AppendFrame modified the payload")
			}
		})
	}
	for _, n := range []int{125, 126, 65535, 65536} {
		b := AppendFrame(nil, OpBinary, true, false, nil, make([]byte, n))
		hdr := len(b) - n
		wantHdr := map[int]int{125: 2, 126: 4, 65535: 4, 65536: 10}[n]
		if hdr != wantHdr {
			t.Errorf("length %d: header of %d bytes, want %d", n, hdr, wantHdr)
		}
	}
}

func TestMessageErrorsAreTyped(t *testing.T) {
	p := NewParser(decode.S2C, Extensions{}, Options{MaxMessage: 1})
	var errs []error
	err := p.Feed(build(fr{op: 1, fin: true, data: []byte("ab")}, fr{op: 8, fin: true, data: []byte{1}}), func(m *Message) {
		errs = append(errs, m.Err)
	})
	if err != nil || len(errs) != 2 {
		t.Fatalf("err=%v errs=%v", err, errs)
	}
	if !errors.Is(errs[0], ErrTooLarge) || !errors.Is(errs[1], ErrBadClose) {
		t.Fatalf("errors %v not typed", errs)
	}
}

// Declared lengths near 2^63 must neither overflow the counters nor be
// buffered: the payload is skipped as it streams by.
func TestHugeDeclaredLength(t *testing.T) {
	p := NewParser(decode.S2C, Extensions{}, Options{})
	in := hexb(t, "02 7f 7f ff ff ff ff ff ff ff 00 00 00")
	if _, err := feedAll(p, in, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if p.Offset() != int64(len(in)+4096) || cap(p.buf) != 0 {
		t.Fatalf("offset %d, buffer cap %d", p.Offset(), cap(p.buf))
	}
}

// The relay calls Feed for every read, so steady state must not allocate.
func TestSteadyStateAllocs(t *testing.T) {
	chat := []byte(`42["chat",{"user":"ann","text":"hello there"}]`)
	frag := build(fr{op: 1, masked: true, data: chat[:10]}, fr{op: 9, fin: true, masked: true, data: []byte("p")},
		fr{op: 0, fin: true, masked: true, data: chat[10:]})
	comp := deflateStream(t, true, chat, chat, chat, chat)
	for _, tc := range []struct {
		name string
		dir  decode.Dir
		ext  Extensions
		ins  [][]byte
	}{
		{"masked text", decode.C2S, Extensions{}, [][]byte{build(fr{op: 1, fin: true, masked: true, data: chat})}},
		{"unmasked text", decode.S2C, Extensions{}, [][]byte{build(fr{op: 1, fin: true, data: chat})}},
		{"fragmented with ping", decode.C2S, Extensions{}, [][]byte{frag}},
		{"split header and payload", decode.C2S, Extensions{}, [][]byte{frag[:1], frag[1:9], frag[9:]}},
		{"close", decode.S2C, Extensions{}, [][]byte{hexb(t, "88 02 03 e8")}},
		{"deflate takeover", decode.S2C, deflateExt, [][]byte{
			build(fr{op: 1, fin: true, rsv1: true, data: comp[0]}),
			build(fr{op: 1, fin: true, rsv1: true, data: comp[1]}),
			build(fr{op: 1, fin: true, rsv1: true, data: comp[2]}),
			build(fr{op: 1, fin: true, rsv1: true, data: comp[3]})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(tc.dir, tc.ext, Options{})
			n := 0
			emit := func(m *Message) {
				if m.Err == nil {
					n++
				}
			}
			run := func() {
				for _, in := range tc.ins {
					if err := p.Feed(in, emit); err != nil {
						t.Fatal(err)
					}
				}
			}
			run() // warm up buffers and the flate reader
			if tc.ext.Deflate {
				p.Reset()
			}
			allocs := testing.AllocsPerRun(50, func() {
				run()
				if tc.ext.Deflate {
					p.Reset()
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per run, want 0", allocs)
			}
			if n == 0 {
				t.Fatal("no message decoded without error")
			}
		})
	}
}
