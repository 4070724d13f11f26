package eio

import (
	"errors"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// Errors must say which packet and which byte: a user reads them to find
// the bad record in a captured body.
func TestErrorPositions(t *testing.T) {
	oct := "application/octet-stream"
	tests := []struct {
		name   string
		v      Version
		ct     string
		body   []byte
		good   int // packets returned before the error
		index  int
		offset int
		msg    string
	}{
		{"v4 empty body", V4, "", nil, 0, 0, 0, "empty packet"},
		{"v4 trailing separator", V4, "", []byte("4a\x1e"), 1, 1, 3, "empty packet"},
		{"v4 bad type third", V4, "", []byte("4a\x1e2\x1e9x"), 2, 2, 5, `unknown packet type "9"`},
		{"v4 bad base64", V4, "", []byte("4ok\x1ebA!!"), 1, 1, 5, "invalid base64"},
		{"v3 bad type second", V3, "", []byte("6:4hello1:9"), 1, 1, 10, `unknown packet type "9"`},
		{"v3 bad length char", V3, "", []byte("1:41x:4"), 1, 1, 4, `invalid length character "x"`},
		{"v3 length past end", V3, "", []byte("1:45:4ab"), 1, 1, 3, "exceeds"},
		{"v3 huge length", V3, "", []byte("99999999999:4"), 0, 0, 0, "length 99999999999 exceeds"},
		{"v3 split surrogate", V3, "", []byte("2:4😀"), 0, 0, 3, "surrogate pair"},
		{"v3 invalid UTF-8", V3, "", []byte("1:43:4\xffa"), 1, 1, 6, "invalid UTF-8"},
		{"v3 missing colon", V3, "", []byte("1:412"), 1, 1, 3, "without ':'"},
		{"v3 empty length", V3, "", []byte("1:4:4"), 1, 1, 3, "empty length"},
		{"v3 bad base64 type", V3, "", []byte("3:b9A"), 0, 0, 3, "unknown packet type"},
		{"xhr2 starts with 0xff", V3, oct, []byte{0xff, 0x01}, 0, 0, 0, "record kind byte 0xff"},
		{"xhr2 bad kind", V3, oct, []byte{0x02, 0x01, 0xff, 0x34}, 0, 0, 0, "record kind byte 0x02"},
		{"xhr2 length past end", V3, oct, []byte{0x00, 0x01, 0xff, 0x34, 0x01, 0x09, 0xff, 0x04}, 1, 1, 4, "length 9 exceeds"},
		{"xhr2 bad digit", V3, oct, []byte{0x00, 0x01, 0xff, 0x34, 0x00, 0x0a, 0xff}, 1, 1, 5, "length digit byte 0x0a"},
		{"xhr2 no terminator", V3, oct, []byte{0x00, 0x01, 0x02}, 0, 0, 0, "without 0xFF"},
		{"xhr2 empty length", V3, oct, []byte{0x00, 0xff, 0x34}, 0, 0, 1, "empty length"},
		{"xhr2 invalid UTF-8", V3, oct, []byte{0x00, 0x02, 0xff, 0x34, 0xff}, 0, 0, 4, "invalid UTF-8"},
		{"xhr2 binary bad type", V3, oct, []byte{0x01, 0x02, 0xff, 0x09, 0x01}, 0, 0, 3, "unknown packet type byte 0x09"},
		{"xhr2 empty binary", V3, oct, []byte{0x01, 0x00, 0xff}, 0, 0, 3, "empty binary record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePayload(tc.v, tc.body, tc.ct)
			var de *decode.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *decode.Error", err, err)
			}
			if len(got) != tc.good || de.Index != tc.index || de.Offset != tc.offset || !strings.Contains(de.Msg, tc.msg) {
				t.Fatalf("got %d packets, %q index %d offset %d; want %d packets, %q index %d offset %d",
					len(got), de.Msg, de.Index, de.Offset, tc.good, tc.msg, tc.index, tc.offset)
			}
		})
	}
}

func TestDecodePacketErrors(t *testing.T) {
	tests := []struct {
		name   string
		v      Version
		msg    string
		binary bool
		want   string
	}{
		{"v4 empty", V4, "", false, "empty packet"},
		{"v4 bad type", V4, "a123", false, `unknown packet type "a"`},
		{"v4 control type", V4, "\x00", false, "unknown packet type 0x0"},
		{"v4 bad base64", V4, "b@@@@", false, "invalid base64"},
		{"v3 empty binary", V3, "", true, "empty binary message"},
		{"v3 binary type", V3, "\x07a", true, "0x07"},
		{"v3 b without type", V3, "b", false, "without a type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePacket(tc.v, []byte(tc.msg), tc.binary)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// A v3 length prefix is never trusted for sizing.
func TestHugeLengthDoesNotAllocate(t *testing.T) {
	body := []byte("99999999999999999999999999:4")
	allocs := testing.AllocsPerRun(20, func() {
		_, _ = DecodePayload(V3, body, "")
	})
	if allocs > 8 {
		t.Fatalf("%v allocations for a bogus length", allocs)
	}
	xhr := append([]byte{0x01}, append(bytesRepeat(9, 40), 0xff, 0x04)...)
	if _, err := DecodePayload(V3, xhr, "application/octet-stream"); err == nil {
		t.Fatal("40-digit XHR2 length accepted")
	}
}

func bytesRepeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestPacketTypeString(t *testing.T) {
	want := []string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}
	for i, w := range want {
		if s := PacketType(i).String(); s != w {
			t.Errorf("PacketType(%d) = %q, want %q", i, s, w)
		}
	}
	if s := PacketType(9).String(); s != "unknown(9)" {
		t.Errorf("PacketType(9) = %q", s)
	}
}
