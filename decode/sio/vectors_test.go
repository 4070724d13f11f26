package sio

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// The Socket.IO vectors of the wire brief (§13), copied here: each wire
// string is the Engine.IO message data without its '4'.
type vector struct {
	name  string
	proto int
	wire  string
	bins  [][]byte
	want  Packet
	data  string // expected Data; "" means nil
	enc   string // expected re-encoding when it differs from wire
}

const (
	ph0 = `{"_placeholder":true,"num":0}`
	ph1 = `{"_placeholder":true,"num":1}`
)

func b(x ...byte) []byte { return x }

var vectors = []vector{
	{name: "11 v3 auto-connect", proto: 4, wire: "0", want: Packet{Type: Connect, Nsp: "/"}},
	{name: "24 connect", proto: 5, wire: "0", want: Packet{Type: Connect, Nsp: "/"}},
	{name: "24 connect auth", proto: 5, wire: `0{"token":"123"}`, want: Packet{Type: Connect, Nsp: "/"}, data: `{"token":"123"}`},
	{name: "24 connect reply", proto: 5, wire: `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, want: Packet{Type: Connect, Nsp: "/"}, data: `{"sid":"wZX3oN0bSVIhsaknAAAI"}`},
	{name: "25 nsp without comma", proto: 5, wire: "0/custom", want: Packet{Type: Connect, Nsp: "/custom"}, enc: "0/custom,"},
	{name: "25 nsp with comma", proto: 5, wire: "0/admin,", want: Packet{Type: Connect, Nsp: "/admin"}},
	{name: "25 nsp reply", proto: 5, wire: `0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}`, want: Packet{Type: Connect, Nsp: "/admin"}, data: `{"sid":"-G5j-67EZFp-q59rADQM"}`},
	{name: "26 refusal", proto: 5, wire: `4{"message":"Not authorized"}`, want: Packet{Type: ConnectError, Nsp: "/"}, data: `{"message":"Not authorized"}`},
	{name: "26 invalid namespace", proto: 5, wire: `4/random,{"message":"Invalid namespace"}`, want: Packet{Type: ConnectError, Nsp: "/random"}, data: `{"message":"Invalid namespace"}`},
	{name: "26 refusal with data", proto: 5, wire: `4{"message":"not authorized","data":{"content":"Please retry later"}}`, want: Packet{Type: ConnectError, Nsp: "/"}, data: `{"message":"not authorized","data":{"content":"Please retry later"}}`},
	{name: "27 event", proto: 5, wire: `2["hey","Jude"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["hey","Jude"]`},
	{name: "27 batched 1", proto: 5, wire: `2["hello"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["hello"]`},
	{name: "27 batched 2", proto: 5, wire: `2["world"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["world"]`},
	{name: "27 nsp event", proto: 5, wire: `2/admin,["bar"]`, want: Packet{Type: Event, Nsp: "/admin"}, data: `["bar"]`},
	{name: "28 event with ack", proto: 5, wire: `212["foo"]`, want: Packet{Type: Event, Nsp: "/", ID: 12, HasID: true}, data: `["foo"]`},
	{name: "28 empty ack", proto: 5, wire: `312[]`, want: Packet{Type: Ack, Nsp: "/", ID: 12, HasID: true}, data: `[]`},
	{name: "28 nsp ack", proto: 5, wire: `3/admin,13["bar"]`, want: Packet{Type: Ack, Nsp: "/admin", ID: 13, HasID: true}, data: `["bar"]`},
	{name: "28 test-suite event", proto: 5, wire: `2456["message-with-ack",1,"2",{"3":[false]}]`, want: Packet{Type: Event, Nsp: "/", ID: 456, HasID: true}, data: `["message-with-ack",1,"2",{"3":[false]}]`},
	{name: "28 test-suite ack", proto: 5, wire: `3456[1,"2",{"3":[false]}]`, want: Packet{Type: Ack, Nsp: "/", ID: 456, HasID: true}, data: `[1,"2",{"3":[false]}]`},
	{name: "29 binary event", proto: 5, wire: `51-["baz",` + ph0 + `]`, bins: [][]byte{b(1, 2, 3, 4)},
		want: Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/"}, data: `["baz",` + ph0 + `]`},
	{name: "30 two attachments", proto: 5, wire: `52-/admin,["baz",` + ph0 + `,` + ph1 + `]`, bins: [][]byte{b(1, 2), b(3, 4)},
		want: Packet{Type: BinaryEvent, Attachments: 2, Nsp: "/admin"}, data: `["baz",` + ph0 + `,` + ph1 + `]`},
	{name: "31 binary ack", proto: 5, wire: `61-15["bar",` + ph0 + `]`, bins: [][]byte{b(1, 2, 3, 4)},
		want: Packet{Type: BinaryAck, Attachments: 1, Nsp: "/", ID: 15, HasID: true}, data: `["bar",` + ph0 + `]`},
	{name: "31 nsp binary ack", proto: 5, wire: `61-/admin,1[` + ph0 + `]`, bins: [][]byte{b(9)},
		want: Packet{Type: BinaryAck, Attachments: 1, Nsp: "/admin", ID: 1, HasID: true}, data: `[` + ph0 + `]`},
	{name: "32 test-suite binary event", proto: 5, wire: `52-789["message-with-ack",` + ph0 + `,` + ph1 + `]`, bins: [][]byte{b(1, 2, 3), b(4, 5, 6)},
		want: Packet{Type: BinaryEvent, Attachments: 2, Nsp: "/", ID: 789, HasID: true}, data: `["message-with-ack",` + ph0 + `,` + ph1 + `]`},
	{name: "32 test-suite binary ack", proto: 5, wire: `62-789[` + ph0 + `,` + ph1 + `]`, bins: [][]byte{b(1, 2, 3), b(4, 5, 6)},
		want: Packet{Type: BinaryAck, Attachments: 2, Nsp: "/", ID: 789, HasID: true}, data: `[` + ph0 + `,` + ph1 + `]`},
	// 33 carries vector 29 over each polling form; decode/eio unwraps those
	// and hands this package the same text and attachment.
	{name: "33 binary over polling", proto: 4, wire: `51-["baz",` + ph0 + `]`, bins: [][]byte{b(1, 2, 3, 4)},
		want: Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/"}, data: `["baz",` + ph0 + `]`},
	{name: "34 disconnect", proto: 5, wire: "1", want: Packet{Type: Disconnect, Nsp: "/"}},
	{name: "34 nsp disconnect", proto: 5, wire: "1/admin,", want: Packet{Type: Disconnect, Nsp: "/admin"}},
	{name: "35 connect woot", proto: 5, wire: `0/woot,{"token":"123"}`, want: Packet{Type: Connect, Nsp: "/woot"}, data: `{"token":"123"}`},
	{name: "35 disconnect woot", proto: 5, wire: "1/woot,", want: Packet{Type: Disconnect, Nsp: "/woot"}},
	{name: "35 event", proto: 5, wire: `2["a",1,{}]`, want: Packet{Type: Event, Nsp: "/"}, data: `["a",1,{}]`},
	{name: "35 event number name", proto: 5, wire: `2[1,"a",{}]`, want: Packet{Type: Event, Nsp: "/"}, data: `[1,"a",{}]`},
	{name: "35 event nsp id", proto: 5, wire: `2/test,1["a",1,{}]`, want: Packet{Type: Event, Nsp: "/test", ID: 1, HasID: true}, data: `["a",1,{}]`},
	{name: "35 ack", proto: 5, wire: `3123["a",1,{}]`, want: Packet{Type: Ack, Nsp: "/", ID: 123, HasID: true}, data: `["a",1,{}]`},
	{name: "35 error string", proto: 5, wire: `4"Unauthorized"`, want: Packet{Type: ConnectError, Nsp: "/"}, data: `"Unauthorized"`},
	{name: "35 error object", proto: 5, wire: `4{"message":"Unauthorized"}`, want: Packet{Type: ConnectError, Nsp: "/"}, data: `{"message":"Unauthorized"}`},
	{name: "36 binary cool", proto: 5, wire: `51-/cool,23["a",` + ph0 + `]`, bins: [][]byte{[]byte("abc")},
		want: Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/cool", ID: 23, HasID: true}, data: `["a",` + ph0 + `]`},
	{name: "36 binary nested", proto: 5, wire: `51-/cool,23["a",{"b":["c",` + ph0 + `]}]`, bins: [][]byte{[]byte("abc")},
		want: Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/cool", ID: 23, HasID: true}, data: `["a",{"b":["c",` + ph0 + `]}]`},
	{name: "36 binary ack back", proto: 5, wire: `61-/back,127["a",` + ph0 + `,{}]`, bins: [][]byte{[]byte("xxx")},
		want: Packet{Type: BinaryAck, Attachments: 1, Nsp: "/back", ID: 127, HasID: true}, data: `["a",` + ph0 + `,{}]`},
	{name: "38 v4 connect", proto: 4, wire: "0/admin,", want: Packet{Type: Connect, Nsp: "/admin"}},
	{name: "38 v4 error", proto: 4, wire: `4/admin,"Not authorized"`, want: Packet{Type: ConnectError, Nsp: "/admin"}, data: `"Not authorized"`},
	{name: "38 v4 event", proto: 4, wire: `2/admin,456["project:delete",123]`, want: Packet{Type: Event, Nsp: "/admin", ID: 456, HasID: true}, data: `["project:delete",123]`},
	{name: "38 v4 ack", proto: 4, wire: `3/admin,456[]`, want: Packet{Type: Ack, Nsp: "/admin", ID: 456, HasID: true}, data: `[]`},
	{name: "38 v4 binary event", proto: 4, wire: `51-/admin,456["project:delete",` + ph0 + `]`, bins: [][]byte{b(1, 2, 3)},
		want: Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/admin", ID: 456, HasID: true}, data: `["project:delete",` + ph0 + `]`},
	{name: "38 v4 binary ack", proto: 4, wire: `61-/admin,456[` + ph0 + `]`, bins: [][]byte{b(3, 2, 1)},
		want: Packet{Type: BinaryAck, Attachments: 1, Nsp: "/admin", ID: 456, HasID: true}, data: `[` + ph0 + `]`},
	{name: "38 v4 connect query", proto: 4, wire: "0/admin?token=1234&uid=abcd,", want: Packet{Type: Connect, Nsp: "/admin", Query: "token=1234&uid=abcd"}},
	{name: "39 v4 event", proto: 4, wire: `2["hey","Jude"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["hey","Jude"]`},
	{name: "39 v4 batched 1", proto: 4, wire: `2["hello"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["hello"]`},
	{name: "39 v4 batched 2", proto: 4, wire: `2["world"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["world"]`},
	{name: "40 recovery reply", proto: 5, wire: `0{"sid":"GNpWD7LbGCBNCr8GAAAB","pid":"YHcX2sdAF1z452-HAAAW"}`, want: Packet{Type: Connect, Nsp: "/"}, data: `{"sid":"GNpWD7LbGCBNCr8GAAAB","pid":"YHcX2sdAF1z452-HAAAW"}`},
	{name: "40 recovery event", proto: 5, wire: `2["foo","MzUPkW0"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["foo","MzUPkW0"]`},
	{name: "40 recovery connect", proto: 5, wire: `0{"pid":"YHcX2sdAF1z452-HAAAW","offset":"MzUPkW0"}`, want: Packet{Type: Connect, Nsp: "/"}, data: `{"pid":"YHcX2sdAF1z452-HAAAW","offset":"MzUPkW0"}`},
	{name: "41 unicode", proto: 5, wire: `2["msg","héllo €😀"]`, want: Packet{Type: Event, Nsp: "/"}, data: `["msg","héllo €😀"]`},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			d := NewDecoder(v.proto)
			p, err := d.Text([]byte(v.wire))
			if err != nil {
				t.Fatalf("Text(%q): %v", v.wire, err)
			}
			for i, bin := range v.bins {
				if p != nil {
					t.Fatalf("packet complete before attachment %d", i)
				}
				if _, have := d.Pending(); have != i {
					t.Fatalf("Pending have = %d, want %d", have, i)
				}
				p, err = d.Binary(bin)
				if err != nil {
					t.Fatalf("Binary %d: %v", i, err)
				}
			}
			if p == nil {
				t.Fatal("no packet")
			}
			checkPacket(t, p, v)
			if pp, _ := d.Pending(); pp != nil {
				t.Error("still pending after completion")
			}
			text, atts := Encode(*p)
			wantEnc := v.wire
			if v.enc != "" {
				wantEnc = v.enc
			}
			if string(text) != wantEnc {
				t.Errorf("Encode = %q, want %q", text, wantEnc)
			}
			if !equalBufs(atts, v.bins) {
				t.Errorf("Encode attachments = %x, want %x", atts, v.bins)
			}
			if v.bins == nil { // Parse agrees with the Decoder on complete packets
				q, err := Parse([]byte(v.wire), v.proto)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				checkPacket(t, &q, v)
			}
		})
	}
}

func checkPacket(t *testing.T, p *Packet, v vector) {
	t.Helper()
	w := v.want
	if p.Type != w.Type || p.Attachments != w.Attachments || p.Nsp != w.Nsp || p.Query != w.Query || p.ID != w.ID || p.HasID != w.HasID {
		t.Errorf("got %s att=%d nsp=%q query=%q id=%d/%v, want %s att=%d nsp=%q query=%q id=%d/%v",
			p.Type, p.Attachments, p.Nsp, p.Query, p.ID, p.HasID, w.Type, w.Attachments, w.Nsp, w.Query, w.ID, w.HasID)
	}
	if (v.data == "") != (p.Data == nil) || string(p.Data) != v.data {
		t.Errorf("Data = %q (nil %v), want %q", p.Data, p.Data == nil, v.data)
	}
	if !equalBufs(p.Buffers, v.bins) {
		t.Errorf("Buffers = %x, want %x", p.Buffers, v.bins)
	}
}

func equalBufs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Vector 37 and the header errors, with the parser's texts.
func TestInvalid(t *testing.T) {
	cases := []struct {
		wire   string
		proto  int
		prefix string
		detail string // also in the message: the offending value
		off    int
	}{
		{`442["some","data"`, 5, MsgInvalidPayload, "not JSON", 17},
		{`0/admin,"invalid"`, 5, MsgInvalidPayload, "CONNECT payload must be an object, got a string", 8},
		{`0[]`, 5, MsgInvalidPayload, "got an array", 1},
		{`1/admin,{}`, 5, MsgInvalidPayload, "DISCONNECT takes no payload", 8},
		{`2/admin,{}`, 5, MsgInvalidPayload, "EVENT payload must be an array, got an object", 8},
		{`2[true,"foo"]`, 5, MsgInvalidPayload, "got true", 2},
		{`2[null,"bar"]`, 5, MsgInvalidPayload, "got null", 2},
		{`2["connect"]`, 5, MsgInvalidPayload, `"connect" is reserved`, 2},
		{`2["disconnect","123"]`, 5, MsgInvalidPayload, `"disconnect" is reserved`, 2},
		{`2[]`, 5, MsgInvalidPayload, "empty array", 1},
		{`2["newListener"]`, 5, MsgInvalidPayload, "reserved", 2},
		{`2["\u0063onnect"]`, 5, MsgInvalidPayload, "reserved", 2},
		{`3{}`, 5, MsgInvalidPayload, "ACK payload must be an array", 1},
		{`4[]`, 5, MsgInvalidPayload, "string or an object", 1},
		{`5`, 5, MsgIllegalAttachments, "no '-'", 1},
		{`51`, 5, MsgIllegalAttachments, "no '-'", 1},
		{`5a-`, 5, MsgIllegalAttachments, `"a"`, 1},
		{`51.23-`, 5, MsgIllegalAttachments, `"1.23"`, 1},
		{`50-[]`, 5, MsgIllegalAttachments, "count is 0", 1},
		{`511-["a"]`, 5, MsgTooManyAttachments, "11 announced", 1},
		{`999`, 5, MsgUnknownType + " 9", "", 0},
		{`a123`, 5, MsgUnknownType + " NaN", `'a'`, 0},
		{`2{"a":1}`, 4, MsgInvalidPayload, "array in protocol 4", 1},
		{`0{"token":"1"}`, 4, MsgInvalidPayload, "array in protocol 4", 1},
		{`4false`, 4, MsgInvalidPayload, "false", 1},
		{`2["a" "b"]`, 5, MsgInvalidPayload, "after a value", 6},
		{`2["a"]x`, 5, MsgInvalidPayload, "after the JSON value", 6},
		{"2[\"a\x01\"]", 5, MsgInvalidPayload, "control character", 4},
		{`21 2["a"]`, 5, MsgInvalidAckID, "spaces", 1},
	}
	for _, c := range cases {
		t.Run(c.wire, func(t *testing.T) {
			_, err := Parse([]byte(c.wire), c.proto)
			var de *decode.Error
			if !errors.As(err, &de) {
				t.Fatalf("Parse(%q) = %v, want a *decode.Error", c.wire, err)
			}
			if de.Layer != "sio" || !strings.HasPrefix(de.Msg, c.prefix) || !strings.Contains(de.Msg, c.detail) {
				t.Errorf("error %q, want layer sio, prefix %q containing %q", de.Msg, c.prefix, c.detail)
			}
			if de.Offset != c.off {
				t.Errorf("offset %d, want %d (%v)", de.Offset, c.off, err)
			}
			// The Decoder reports the same error and recovers.
			d := NewDecoder(c.proto)
			if _, err := d.Text([]byte(c.wire)); err == nil {
				t.Error("Decoder accepted it")
			}
			if p, err := d.Text([]byte(`2["ok"]`)); err != nil || p == nil || p.EventName() != "ok" {
				t.Errorf("next packet: %v %v", p, err)
			}
		})
	}
}

// Quirks of socket.io-parser's decodeString that sioproxy mirrors.
func TestParserQuirks(t *testing.T) {
	cases := []struct {
		wire string
		want Packet
		data string
	}{
		{"", Packet{Type: Connect, Nsp: "/"}, ""},                        // Number("") is 0
		{` {"a":1}`, Packet{Type: Connect, Nsp: "/"}, `{"a":1}`},         // so is a leading space
		{`2 ["a"]`, Packet{Type: Event, Nsp: "/", HasID: true}, `["a"]`}, // a space starts the id: Number(" ") == 0
		{`2 7["a"]`, Packet{Type: Event, Nsp: "/", ID: 7, HasID: true}, `["a"]`},
		{`51e0-["a",` + ph0 + `]`, Packet{Type: BinaryEvent, Attachments: 1, Nsp: "/"}, `["a",` + ph0 + `]`},
		{`50x2-["a"]`, Packet{Type: BinaryEvent, Attachments: 2, Nsp: "/"}, `["a"]`},
		{`2/a/b,["x"]`, Packet{Type: Event, Nsp: "/a/b"}, `["x"]`},
		{`2/,["x"]`, Packet{Type: Event, Nsp: "/"}, `["x"]`},
		{"2\t[1]", Packet{Type: Event, Nsp: "/", HasID: true}, `[1]`},
		{`2[1e3,{"":[]}]`, Packet{Type: Event, Nsp: "/"}, `[1e3,{"":[]}]`},
		{"2 [\"a\"] \n", Packet{Type: Event, Nsp: "/", HasID: true}, "[\"a\"] \n"},
		{`29007199254740993["a"]`, Packet{Type: Event, Nsp: "/", ID: 9007199254740993, HasID: true}, `["a"]`},
	}
	for _, c := range cases {
		t.Run(c.wire, func(t *testing.T) {
			p, err := Parse([]byte(c.wire), 5)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.wire, err)
			}
			checkPacket(t, &p, vector{want: c.want, data: c.data})
		})
	}
}

func TestEventName(t *testing.T) {
	cases := map[string]string{
		`2["hey","Jude"]`:         "hey",
		`2[1,"a"]`:                "",
		`2["h\u00e9\n"]`:          "hé\n",
		`52-["up",` + ph0 + `,1]`: "up",
		`3["not an event"]`:       "",
		`2["\ud83d\ude00", 1]`:    "😀",
		`2/admin,7["project:x"]`:  "project:x",
	}
	for wire, want := range cases {
		p, _, err := ParseHeader([]byte(wire))
		if err != nil {
			t.Fatalf("%q: %v", wire, err)
		}
		if got := p.EventName(); got != want {
			t.Errorf("EventName(%q) = %q, want %q", wire, got, want)
		}
	}
}

func TestParseHeaderOffset(t *testing.T) {
	p, off, err := ParseHeader([]byte(`52-/admin,789["a"]`))
	if err != nil || off != 13 || p.Nsp != "/admin" || p.ID != 789 || p.Attachments != 2 || string(p.Data) != `["a"]` {
		t.Fatalf("got %+v off %d err %v", p, off, err)
	}
	// No JSON validation in the header.
	if _, _, err := ParseHeader([]byte(`2["connect"`)); err != nil {
		t.Fatalf("ParseHeader validated the payload: %v", err)
	}
}

func TestConnectInfo(t *testing.T) {
	cases := []struct {
		wire string
		want ConnectInfo
	}{
		{`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, ConnectInfo{Sid: "wZX3oN0bSVIhsaknAAAI"}},
		{`0{"sid":"GNpWD7LbGCBNCr8GAAAB","pid":"YHcX2sdAF1z452-HAAAW"}`, ConnectInfo{Sid: "GNpWD7LbGCBNCr8GAAAB", Pid: "YHcX2sdAF1z452-HAAAW"}},
		{`0{"pid":"YHcX2sdAF1z452-HAAAW","offset":"MzUPkW0","token":"x"}`, ConnectInfo{Pid: "YHcX2sdAF1z452-HAAAW", Offset: "MzUPkW0"}},
		{`0{"token":"123","nested":{"sid":"no"}}`, ConnectInfo{}},
		{`0`, ConnectInfo{}},
	}
	for _, c := range cases {
		t.Run(c.wire, func(t *testing.T) {
			p, err := Parse([]byte(c.wire), 5)
			if err != nil {
				t.Fatal(err)
			}
			ci, err := ParseConnect(&p)
			if err != nil {
				t.Fatal(err)
			}
			if ci.Sid != c.want.Sid || ci.Pid != c.want.Pid || ci.Offset != c.want.Offset || !bytes.Equal(ci.Auth, p.Data) {
				t.Errorf("got %+v", ci)
			}
		})
	}
}

func TestConnectErrorShapes(t *testing.T) {
	cases := []struct {
		wire    string
		proto   int
		message string
		data    string
	}{
		{`4{"message":"Not authorized"}`, 5, "Not authorized", ""},
		{`4{"message":"not authorized","data":{"content":"Please retry later"}}`, 5, "not authorized", `{"content":"Please retry later"}`},
		{`4/admin,"Not authorized"`, 4, "Not authorized", ""},
		{`4{"code":42}`, 4, "", `{"code":42}`},
		{`4"Unauthorized"`, 5, "Unauthorized", ""},
	}
	for _, c := range cases {
		t.Run(c.wire, func(t *testing.T) {
			p, err := Parse([]byte(c.wire), c.proto)
			if err != nil {
				t.Fatal(err)
			}
			ce, err := ParseConnectError(&p)
			if err != nil {
				t.Fatal(err)
			}
			if ce.Message != c.message || string(ce.Data) != c.data {
				t.Errorf("got %q %q", ce.Message, ce.Data)
			}
		})
	}
}

func TestMsgpackVectors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		want Packet
		data string
	}{
		{"42 event", "83a474797065 02 a36e7370 a12f a464617461 92 a568656c6c6f a3796f75", Packet{Type: Event, Nsp: "/"}, `["hello","you"]`},
		{"42 connect", "82a474797065 00 a36e7370 a12f", Packet{Type: Connect, Nsp: "/"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := hex.DecodeString(strings.ReplaceAll(c.hex, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			if !LooksLikeMsgpack(raw) {
				t.Fatal("LooksLikeMsgpack = false")
			}
			p, err := NewDecoder(5).Binary(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Msgpack {
				t.Error("Msgpack flag not set")
			}
			checkPacket(t, p, vector{want: c.want, data: c.data})
			enc, err := EncodeMsgpack(*p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, raw) {
				t.Errorf("EncodeMsgpack = %x, want %x", enc, raw)
			}
		})
	}
}
