package sio

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventWith wraps a msgpack value as the data of {type:2,nsp:"/",data:[v]}.
const eventHead = "83 a474797065 02 a36e7370 a12f a464617461 91"

func TestMsgpackFormats(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"positive fixint", "7f", "127"},
		{"negative fixint", "e0", "-32"},
		{"nil", "c0", "null"},
		{"false true", "92 c2 c3", "[false,true]"},
		{"uint8", "cc ff", "255"},
		{"uint16", "cd ffff", "65535"},
		{"uint32", "ce ffffffff", "4294967295"},
		{"uint64 max", "cf ffffffffffffffff", "18446744073709551615"},
		{"int8", "d0 80", "-128"},
		{"int16", "d1 8000", "-32768"},
		{"int32", "d2 80000000", "-2147483648"},
		{"int64", "d3 8000000000000000", "-9223372036854775808"},
		{"float32", "ca 3fc00000", "1.5"},
		{"float64", "cb 3ff8000000000000", "1.5"},
		{"float64 tiny", "cb 3e7ad7f29abcaf48", "1e-7"},
		{"float64 NaN", "cb 7ff8000000000000", "null"},
		{"fixstr", "a3 616263", `"abc"`},
		{"str8", "d9 03 616263", `"abc"`},
		{"str16", "da 0003 616263", `"abc"`},
		{"str32", "db 00000003 616263", `"abc"`},
		{"str escapes", "a3 22 0a 01", `"\"\n\u0001"`},
		{"str bad utf8", "a1 ff", `"` + "\uFFFD" + `"`},
		{"bin8", "c4 02 0102", `{"_binary":"AQI="}`},
		{"bin16", "c5 0002 0102", `{"_binary":"AQI="}`},
		{"bin32", "c6 00000002 0102", `{"_binary":"AQI="}`},
		{"array16", "dc 0002 01 02", "[1,2]"},
		{"array32", "dd 00000002 01 02", "[1,2]"},
		{"map16", "de 0001 a161 01", `{"a":1}`},
		{"map32", "df 00000001 a161 01", `{"a":1}`},
		{"map int key", "81 01 02", `{"1":2}`},
		{"map undefined member dropped", "82 a161 d40000 a162 01", `{"b":1}`},
		{"undefined in array", "91 d40000", `[null]`},
		{"date", "d7 00 0000016f5e66e800", `"2020-01-01T00:00:00.000Z"`},
		{"arraybuffer", "c7 02 00 0102", `{"_binary":"AQI="}`},
		{"bigint", "c7 03 01 313233", `123`},
		{"other ext", "d5 05 0102", `[5,{"_binary":"AQI="}]`},
		{"ext16", "c8 0001 07 ff", `[7,{"_binary":"/w=="}]`},
		{"ext32", "c9 00000001 07 ff", `[7,{"_binary":"/w=="}]`},
		{"fixext16", "d8 07 000102030405060708090a0b0c0d0e0f", `[7,{"_binary":"AAECAwQFBgcICQoLDA0ODw=="}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := DecodeMsgpack(unhex(t, eventHead+c.value))
			if err != nil {
				t.Fatal(err)
			}
			if want := "[" + c.want + "]"; string(p.Data) != want {
				t.Fatalf("Data = %s, want %s", p.Data, want)
			}
		})
	}
}

func TestMsgpackErrors(t *testing.T) {
	cases := []struct {
		name, hex, want string
	}{
		{"empty", "", "truncated"},
		{"not a map", "92 01 02", "invalid packet type"},
		{"no type", "81 a36e7370 a12f", "invalid packet type"},
		{"type 5", "82 a474797065 05 a36e7370 a12f", "invalid packet type"},
		{"type string", "82 a474797065 a132 a36e7370 a12f", "invalid packet type"},
		{"nsp number", "82 a474797065 00 a36e7370 01", "invalid namespace"},
		{"event without data", "82 a474797065 02 a36e7370 a12f", MsgInvalidPayload},
		{"disconnect with data", "83 a474797065 01 a36e7370 a12f a464617461 c0", MsgInvalidPayload},
		{"error not string", "83 a474797065 04 a36e7370 a12f a464617461 80", MsgInvalidPayload},
		{"bad id", "84 a474797065 03 a36e7370 a12f a464617461 90 a26964 a131", "invalid packet id"},
		{"float id", "84 a474797065 03 a36e7370 a12f a464617461 90 a26964 cb3ff8000000000000", "invalid packet id"},
		{"truncated str", "82 a474797065 00 a36e7370 a3", "truncated"},
		{"huge array", "83 a474797065 02 a36e7370 a12f a464617461 dd ffffffff", "container of"},
		{"huge bin", "83 a474797065 02 a36e7370 a12f a464617461 c6 ffffffff", "truncated"},
		{"0xc1", "83 a474797065 02 a36e7370 a12f a464617461 c1", "0xc1"},
		{"trailing", "82 a474797065 00 a36e7370 a12f 00", "trailing"},
		{"too deep", "83 a474797065 02 a36e7370 a12f a464617461 " + strings.Repeat("91", 300) + "00", "nesting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeMsgpack(unhex(t, c.hex))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "msgpack: ") {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// msgpack can say nsp "", which the text format cannot. The decoder keeps
// it, because a socket.io server takes it as a namespace of its own and
// refuses it ("Invalid namespace"); the encoder, like the text encoder,
// reads a Packet's empty Nsp as the main namespace "/" (Packet.Nsp's
// zero value). Found by FuzzMsgpack.
func TestMsgpackEmptyNamespace(t *testing.T) {
	p, err := DecodeMsgpack(unhex(t, "83 a474797065 00 a36e7370 a0 30 30"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != Connect || p.Nsp != "" {
		t.Fatalf("decoded %+v, want CONNECT to nsp \"\"", p)
	}
	enc, err := EncodeMsgpack(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "82 a474797065 00 a36e7370 a12f"); !bytes.Equal(enc, want) {
		t.Fatalf("EncodeMsgpack = %x, want %x", enc, want)
	}
}

// A CONNECT may carry a msgpack Date as its data (typeof is "object"), but
// its JSON view is a string, which no CONNECT may carry: EncodeMsgpack
// refuses it rather than write a packet the parser refuses. Found by
// FuzzMsgpack in CI.
func TestMsgpackEncodeRefusesUnsuitedData(t *testing.T) {
	p, err := DecodeMsgpack(unhex(t, "83 a474797065 00 a36e7370 a12f a464617461 d7 00 0000016f5e66e800"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"2020-01-01T00:00:00.000Z"`; string(p.Data) != want {
		t.Fatalf("Data = %s, want %s", p.Data, want)
	}
	cases := []struct {
		name string
		p    Packet
	}{
		{"connect with a date", p},
		{"connect with a number", Packet{Type: Connect, Nsp: "/", Data: []byte("1")}},
		{"disconnect with data", Packet{Type: Disconnect, Nsp: "/", Data: []byte("{}")}},
		{"event without data", Packet{Type: Event, Nsp: "/"}},
		{"event with an object", Packet{Type: Event, Nsp: "/", Data: []byte(`{"a":1}`)}},
		{"connect_error with an object", Packet{Type: ConnectError, Nsp: "/", Data: []byte(`{"message":"x"}`)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := EncodeMsgpack(c.p)
			if err == nil || !strings.Contains(err.Error(), "data is") {
				t.Fatalf("EncodeMsgpack error = %v, want a data-kind error", err)
			}
		})
	}
}

func TestMsgpackPacketFields(t *testing.T) {
	// The JS client also sends options and puts nsp last; ids may be floats.
	raw := unhex(t, "85 a474797065 02 a464617461 92 a3616263 c4 01 ff a76f7074696f6e73 81 a8636f6d7072657373 c3 a26964 cb4028000000000000 a36e7370 a62f61646d696e")
	p, err := DecodeMsgpack(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != Event || p.Nsp != "/admin" || !p.HasID || p.ID != 12 || string(p.Data) != `["abc",{"_binary":"/w=="}]` || p.EventName() != "abc" {
		t.Fatalf("got %+v %s", p, p.Data)
	}
	enc, err := EncodeMsgpack(p)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "84 a474797065 02 a36e7370 a62f61646d696e a464617461 92 a3616263 c4 01 ff a26964 0c")
	if !bytes.Equal(enc, want) {
		t.Fatalf("EncodeMsgpack = %x, want %x", enc, want)
	}
}

func TestEncodeMsgpackBinaryPacket(t *testing.T) {
	p, err := Parse([]byte(`51-/admin,456["project:delete",`+ph0+`,1.5,-200,70000,4294967296,null,{"k":true}]`), 5)
	if err != nil {
		t.Fatal(err)
	}
	p.Buffers = [][]byte{{1, 2, 3}}
	enc, err := EncodeMsgpack(p)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "84 a474797065 02 a36e7370 a62f61646d696e a464617461 98 ae70726f6a6563743a64656c657465 c4 03 010203"+
		" cb3ff8000000000000 d1ff38 ce00011170 cf0000000100000000 c0 81 a16b c3 a26964 cd01c8")
	if !bytes.Equal(enc, want) {
		t.Fatalf("EncodeMsgpack =\n%x, want\n%x", enc, want)
	}
	q, err := DecodeMsgpack(enc)
	if err != nil || q.Type != Event || q.ID != 456 || string(q.Data) != `["project:delete",{"_binary":"AQID"},1.5,-200,70000,4294967296,null,{"k":true}]` {
		t.Fatalf("round trip: %+v %s %v", q, q.Data, err)
	}
}

func TestLooksLikeMsgpack(t *testing.T) {
	cases := map[string]bool{
		"82a474797065 00 a36e7370 a12f": true,
		"81a474797065 00":               false,
		"01020304":                      false,
		"82a474797065 00 a36e7370":      false, // truncated
		"":                              false,
	}
	for h, want := range cases {
		if got := LooksLikeMsgpack(unhex(t, h)); got != want {
			t.Errorf("LooksLikeMsgpack(%s) = %v", h, got)
		}
	}
	// An attachment that happens to look like msgpack is still an attachment.
	d := NewDecoder(5)
	d.Text([]byte(`51-["a",` + ph0 + `]`))
	p, err := d.Binary(unhex(t, "82a474797065 00 a36e7370 a12f"))
	if err != nil || p == nil || p.Msgpack || len(p.Buffers) != 1 {
		t.Fatalf("got %+v %v", p, err)
	}
}
