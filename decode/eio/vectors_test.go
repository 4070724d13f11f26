package eio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// Engine.IO vectors from PROTOCOL.md §13 (1-23 and the Engine.IO framing of
// 33, 39 and 41), copied here so the tests never read ../shared.

const (
	v4Open = `0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}`
	v3Open = `96:0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}`
	sio29  = `451-["baz",{"_placeholder":true,"num":0}]`
	uni41  = `42["msg","héllo €😀"]`
)

type payloadVector struct {
	name  string
	v     Version
	ct    string
	wire  []byte
	want  []Packet
	exact bool // the encoder reproduces wire byte for byte
	xhr2  bool
}

func payloadVectors() []payloadVector {
	oct := "application/octet-stream"
	return []payloadVector{
		{name: "01 v4 open GET", v: V4, wire: []byte(v4Open), want: []Packet{txt(Open, v4Open[1:])}, exact: true},
		{name: "02 v4 three packets", v: V4, wire: []byte("4hello\x1e2\x1e4world"), want: []Packet{txt(Message, "hello"), txt(Ping, ""), txt(Message, "world")}, exact: true},
		{name: "03 v4 base64 record", v: V4, wire: []byte("4hello\x1ebAQIDBA=="), want: []Packet{txt(Message, "hello"), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "04 v4 every type", v: V4, wire: []byte("0\x1e1\x1e2probe\x1e3probe\x1e4test"), want: []Packet{txt(Open, ""), txt(Close, ""), txt(Ping, "probe"), txt(Pong, "probe"), txt(Message, "test")}, exact: true},
		{name: "05 v4 GET ping", v: V4, wire: []byte("2"), want: []Packet{txt(Ping, "")}, exact: true},
		{name: "05 v4 POST pong", v: V4, wire: []byte("3"), want: []Packet{txt(Pong, "")}, exact: true},
		{name: "07 v4 parked GET noop", v: V4, wire: []byte("6"), want: []Packet{txt(Noop, "")}, exact: true},
		{name: "08 v4 POST close", v: V4, wire: []byte("1"), want: []Packet{txt(Close, "")}, exact: true},
		{name: "10 v3 open GET", v: V3, wire: []byte(v3Open), want: []Packet{txt(Open, v3Open[4:])}, exact: true},
		{name: "11 v3 open + SIO connect", v: V3, wire: []byte(`96:0{"sid":"ptzi_578ycUci8WLB9G1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}2:40`),
			want: []Packet{txt(Open, `{"sid":"ptzi_578ycUci8WLB9G1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}`), txt(Message, "0")}, exact: true},
		{name: "12 v3 one message", v: V3, wire: []byte("4:4hey"), want: []Packet{txt(Message, "hey")}, exact: true},
		{name: "12 v3 two messages", v: V3, wire: []byte("6:4hello6:4world"), want: []Packet{txt(Message, "hello"), txt(Message, "world")}, exact: true},
		{name: "13 v3 euro", v: V3, wire: []byte("6:4hello2:4€"), want: []Packet{txt(Message, "hello"), txt(Message, "€")}, exact: true},
		{name: "14 v3 BMP runes", v: V3, wire: []byte("4:4€€€2:4α"), want: []Packet{txt(Message, "€€€"), txt(Message, "α")}, exact: true},
		{name: "15 v3 astral rune", v: V3, wire: []byte("3:4😀"), want: []Packet{txt(Message, "😀")}, exact: true},
		{name: "16 v3 base64", v: V3, wire: []byte("2:4€10:b4AQIDBA=="), want: []Packet{txt(Message, "€"), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "17 v3 XHR2 euro + binary", v: V3, ct: oct, xhr2: true, wire: []byte{0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04},
			want: []Packet{txt(Message, "€"), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "18 v3 XHR2 hello + binary", v: V3, ct: oct, xhr2: true, wire: []byte{0x00, 0x06, 0xff, 0x34, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04},
			want: []Packet{txt(Message, "hello"), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "19 v3 XHR2 two-digit length", v: V3, ct: oct, xhr2: true, wire: cat([]byte{0x00, 0x01, 0x09, 0xff}, []byte(`42["hello","world"]`), []byte{0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04}),
			want: []Packet{txt(Message, `2["hello","world"]`), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "19 v3 XHR2 sniffed without content type", v: V3, wire: cat([]byte{0x00, 0x01, 0x09, 0xff}, []byte(`42["hello","world"]`), []byte{0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04}),
			want: []Packet{txt(Message, `2["hello","world"]`), bin(Message, 1, 2, 3, 4)}, exact: true, xhr2: true},
		{name: "20 v3 POST ping", v: V3, wire: []byte("1:2"), want: []Packet{txt(Ping, "")}, exact: true},
		{name: "20 v3 GET pong", v: V3, wire: []byte("1:3"), want: []Packet{txt(Pong, "")}, exact: true},
		{name: "20 v3 close", v: V3, wire: []byte("1:1"), want: []Packet{txt(Close, "")}, exact: true},
		{name: "20 v3 noop", v: V3, wire: []byte("1:6"), want: []Packet{txt(Noop, "")}, exact: true},
		{name: "20 v3 empty payload", v: V3, wire: []byte("0:"), want: nil, exact: true},
		{name: "33 v4 binary event over polling", v: V4, wire: []byte(sio29 + "\x1ebAQIDBA=="), want: []Packet{txt(Message, sio29[1:]), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "33 v3 base64 binary event", v: V3, wire: []byte("41:" + sio29 + "10:b4AQIDBA=="), want: []Packet{txt(Message, sio29[1:]), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "33 v3 XHR2 binary event", v: V3, ct: oct, xhr2: true, wire: cat([]byte{0x00, 0x04, 0x01, 0xff}, []byte(sio29), []byte{0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04}),
			want: []Packet{txt(Message, sio29[1:]), bin(Message, 1, 2, 3, 4)}, exact: true},
		{name: "39 v3 GET event", v: V3, wire: []byte(`16:42["hey","Jude"]`), want: []Packet{txt(Message, `2["hey","Jude"]`)}, exact: true},
		{name: "39 v3 POST two events", v: V3, wire: []byte(`11:42["hello"]11:42["world"]`), want: []Packet{txt(Message, `2["hello"]`), txt(Message, `2["world"]`)}, exact: true},
		{name: "41 v4 unicode", v: V4, wire: []byte(uni41), want: []Packet{txt(Message, uni41[1:])}, exact: true},
		{name: "41 v3 unicode", v: V3, wire: []byte("21:" + uni41), want: []Packet{txt(Message, uni41[1:])}, exact: true},
		{name: "41 v3 XHR2 unicode", v: V3, ct: oct, xhr2: true, wire: cat([]byte{0x00, 0x02, 0x06, 0xff}, []byte(uni41)), want: []Packet{txt(Message, uni41[1:])}, exact: true},
	}
}

func TestPayloadVectors(t *testing.T) {
	for _, tc := range payloadVectors() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePayload(tc.v, tc.wire, tc.ct)
			if err != nil {
				t.Fatalf("decode %q: %v", tc.wire, err)
			}
			assertPackets(t, got, tc.want)
			var enc []byte
			if tc.v == V4 {
				enc = EncodePayloadV4(tc.want)
			} else {
				enc = EncodePayloadV3(tc.want, tc.xhr2)
			}
			if tc.exact && !bytes.Equal(enc, tc.wire) {
				t.Fatalf("encode\n got %q\nwant %q", enc, tc.wire)
			}
			again, err := DecodePayload(tc.v, enc, tc.ct)
			if err != nil {
				t.Fatalf("decode of re-encoded %q: %v", enc, err)
			}
			assertPackets(t, again, tc.want)
		})
	}
}

func TestVectorByteCounts(t *testing.T) {
	// The vectors' stated sizes pin the UTF-16 versus byte distinction.
	if n := len("6:4hello2:4€"); n != 14 {
		t.Errorf("vector 13 is %d bytes, want 14", n)
	}
	if n := len(uni41); n != 26 {
		t.Errorf("vector 41 is %d bytes, want 26", n)
	}
	if n := utf16Len([]byte(uni41)); n != 21 {
		t.Errorf("vector 41 is %d UTF-16 units, want 21", n)
	}
	if n := len(v3Open) - 3; n != 96 {
		t.Errorf("vector 10 packet is %d chars, want 96", n)
	}
}

// WebSocket messages: one packet per message (vectors 1, 6, 7, 8, 20).
func TestPacketVectors(t *testing.T) {
	tests := []struct {
		name   string
		v      Version
		msg    []byte
		binary bool
		want   Packet
	}{
		{"01 v4 open over websocket", V4, []byte(v4Open), false, txt(Open, v4Open[1:])},
		{"06 v4 binary frame", V4, []byte{1, 2, 3, 4}, true, bin(Message, 1, 2, 3, 4)},
		{"07 v4 probe ping", V4, []byte("2probe"), false, txt(Ping, "probe")},
		{"07 v4 probe pong", V4, []byte("3probe"), false, txt(Pong, "probe")},
		{"07 v4 upgrade", V4, []byte("5"), false, txt(Upgrade, "")},
		{"07 v4 message after upgrade", V4, []byte("4hello"), false, txt(Message, "hello")},
		{"08 v4 close", V4, []byte("1"), false, txt(Close, "")},
		{"20 v3 binary frame", V3, []byte{4, 1, 2, 3, 4}, true, bin(Message, 1, 2, 3, 4)},
		{"20 v3 text message", V3, []byte(`42["hey","Jude"]`), false, txt(Message, `2["hey","Jude"]`)},
		{"v3 probe", V3, []byte("2probe"), false, txt(Ping, "probe")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePacket(tc.v, tc.msg, tc.binary)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			assertPackets(t, []Packet{got}, []Packet{tc.want})
			enc, isBin := EncodePacket(tc.v, tc.want)
			if isBin != tc.binary || !bytes.Equal(enc, tc.msg) {
				t.Fatalf("encode = %q binary=%v, want %q binary=%v", enc, isBin, tc.msg, tc.binary)
			}
		})
	}
}

// b64 clients get binary as text frames.
func TestPacketBase64(t *testing.T) {
	tests := []struct {
		name string
		v    Version
		wire string
		want Packet
	}{
		{"v4", V4, "bAQIDBA==", bin(Message, 1, 2, 3, 4)},
		{"v3", V3, "b4AQIDBA==", bin(Message, 1, 2, 3, 4)},
		{"v4 unpadded", V4, "bAQIDBA", bin(Message, 1, 2, 3, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePacket(tc.v, []byte(tc.wire), false)
			if err != nil {
				t.Fatal(err)
			}
			assertPackets(t, []Packet{got}, []Packet{tc.want})
			if enc := EncodePacketBase64(tc.v, tc.want); tc.name != "v4 unpadded" && string(enc) != tc.wire {
				t.Fatalf("encode = %q, want %q", enc, tc.wire)
			}
		})
	}
}

func TestOpenVectors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Handshake
	}{
		{"01 v4", v4Open[1:], Handshake{Sid: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 5000, MaxPayload: 1000000, HasMaxPayload: true}},
		{"10 v3", v3Open[4:], Handshake{Sid: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 5000}},
		{"websocket-only", `{"sid":"x","upgrades":[],"pingInterval":1,"pingTimeout":2}`, Handshake{Sid: "x", Upgrades: []string{}, PingInterval: 1, PingTimeout: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOpen([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if got.Sid != tc.want.Sid || got.PingInterval != tc.want.PingInterval || got.PingTimeout != tc.want.PingTimeout ||
				got.MaxPayload != tc.want.MaxPayload || got.HasMaxPayload != tc.want.HasMaxPayload || len(got.Upgrades) != len(tc.want.Upgrades) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got.Upgrades {
				if got.Upgrades[i] != tc.want.Upgrades[i] {
					t.Fatalf("upgrades %v, want %v", got.Upgrades, tc.want.Upgrades)
				}
			}
		})
	}
	for _, bad := range []string{``, `not json`, `{"upgrades":[]}`, `{"sid":""}`, `{"sid":1}`, `{"sid":"a","pingInterval":"x"}`} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := ParseOpen([]byte(bad)); err == nil {
				t.Fatalf("ParseOpen(%q) succeeded", bad)
			}
		})
	}
}

// Vectors 9 and 21: every error case must be an error.
func TestErrorVectors(t *testing.T) {
	t.Run("09 packet a123", func(t *testing.T) {
		if _, err := DecodePacket(V4, []byte("a123"), false); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("09 empty packet", func(t *testing.T) {
		if _, err := DecodePacket(V4, nil, false); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("09 payload 4a then empty record", func(t *testing.T) {
		got, err := DecodePayload(V4, []byte("4a\x1e"), "")
		assertPackets(t, got, []Packet{txt(Message, "a")})
		var de *decode.Error
		if !errors.As(err, &de) || de.Index != 1 {
			t.Fatalf("err = %v, want a *decode.Error at packet 1", err)
		}
	})
	t.Run("09 POST abc", func(t *testing.T) {
		got, err := DecodePayload(V4, []byte("abc"), "")
		if err == nil || len(got) != 0 {
			t.Fatalf("got %s, %v; want no packets and an error", fmtPackets(got), err)
		}
	})
	for _, body := range []string{"1:", "3:99:", "1:aa", "1:a2:b", "1!", "))", ""} {
		t.Run("21 v3 "+body, func(t *testing.T) {
			got, err := DecodePayload(V3, []byte(body), "text/plain; charset=UTF-8")
			if err == nil {
				t.Fatalf("DecodePayload(%q) = %s, want an error", body, fmtPackets(got))
			}
			var de *decode.Error
			if !errors.As(err, &de) || de.Layer != "eio3" {
				t.Fatalf("err = %#v, want *decode.Error layer eio3", err)
			}
		})
	}
	t.Run("21 v3 XHR2 empty body", func(t *testing.T) {
		if _, err := DecodePayload(V3, nil, "application/octet-stream"); err == nil {
			t.Fatal("no error")
		}
	})
}

// Vector 22: JSONP.
func TestJSONPVector(t *testing.T) {
	wire := []byte(`___eio[0]("6:4hello");`)
	payload, index, err := UnwrapJSONP(wire)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != "6:4hello" || index != "0" {
		t.Fatalf("got %q index %q", payload, index)
	}
	ps, err := DecodePayload(V3, payload, "")
	if err != nil {
		t.Fatal(err)
	}
	assertPackets(t, ps, []Packet{txt(Message, "hello")})
	if enc := EncodeJSONP(index, EncodePayloadV3(ps, false)); !bytes.Equal(enc, wire) {
		t.Fatalf("encode = %q, want %q", enc, wire)
	}
}

func TestAppendPayloadKeepsPrefix(t *testing.T) {
	dst := []Packet{txt(Noop, "")}
	for _, tc := range []struct {
		v    Version
		body string
		ct   string
	}{{V4, "4a\x1e2", ""}, {V3, "2:4a1:2", ""}, {V3, "\x00\x02\xff4a\x00\x01\xff2", "application/octet-stream"}} {
		got, err := AppendPayload(dst[:1:1], tc.v, []byte(tc.body), tc.ct)
		if err != nil {
			t.Fatal(err)
		}
		assertPackets(t, got, []Packet{txt(Noop, ""), txt(Message, "a"), txt(Ping, "")})
	}
}
