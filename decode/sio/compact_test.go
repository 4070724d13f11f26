package sio

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// nested returns an EVENT whose second argument nests depth-1 arrays, so
// the payload's deepest level is depth.
func nested(depth int) string {
	return `2["deep",` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `]`
}

func TestParseCompact(t *testing.T) {
	tests := []struct {
		name  string
		wire  string
		proto int
		want  bool
	}{
		{"compact event", `2["ev",{"a":1,"b":[true,null,-1.5e3]}]`, 5, true},
		{"python-socketio spacing", `2["ev", {"a": 1}]`, 5, false},
		{"spaces only inside strings", `2["a b",{"k":"x y\t\u0020"}]`, 5, true},
		{"space before the closing bracket", `2["ev" ]`, 5, false},
		{"trailing newline", "2[\"ev\"]\n", 5, false},
		{"tab before a colon", "2[\"ev\",{\"a\"\t:1}]", 5, false},
		{"space after a key's colon", `0{"token": "x"}`, 5, false},
		{"connect auth", `0{"token":"x"}`, 5, true},
		{"no payload", `0`, 5, false},
		{"ack with id", `3/chat,12["ok"]`, 5, true},
		{"connect error string v4", `4"not authorized"`, 4, true},
		{"depth at encoding/json's limit", nested(maxCompactDepth), 5, true},
		{"depth past encoding/json's limit", nested(maxCompactDepth + 1), 5, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.wire), tc.proto)
			if err != nil {
				t.Fatal(err)
			}
			if p.Compact != tc.want {
				t.Fatalf("Compact = %v, want %v for %q", p.Compact, tc.want, clip(p.Data))
			}
			checkCompact(t, p.Data, p.Compact, tc.want)
		})
	}
}

// A rejected payload is never vouched for, whatever its spacing.
func TestParseCompactOnError(t *testing.T) {
	for _, wire := range []string{`2["connect"]`, `2[]`, `2["a",]`, `1{}`} {
		t.Run(wire, func(t *testing.T) {
			p, err := Parse([]byte(wire), 5)
			if err == nil || p.Compact {
				t.Fatalf("Parse = %+v, %v; want an error and Compact false", p, err)
			}
		})
	}
}

// The Decoder keeps the flag through reassembly, and ReplacePlaceholders
// keeps the result compact.
func TestBinaryCompact(t *testing.T) {
	tests := []struct {
		name, text string
		want       bool
		replaced   string
	}{
		{"compact", `51-["up",{"name":"a b","data":` + ph0 + `}]`, true,
			`["up",{"name":"a b","data":{"_binary":"AAEC"}}]`},
		{"spaced", `51-["up", {"data": ` + ph0 + `}]`, false,
			`["up", {"data": {"_binary":"AAEC"}}]`},
		{"spaced placeholder", `51-["up",{"_placeholder": true,"num":0}]`, false,
			`["up",{"_binary":"AAEC"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(5)
			if p, err := d.Text([]byte(tc.text)); p != nil || err != nil {
				t.Fatalf("Text = %v, %v", p, err)
			}
			p, err := d.Binary([]byte{0, 1, 2})
			if err != nil || p == nil {
				t.Fatalf("Binary = %v, %v", p, err)
			}
			if p.Compact != tc.want {
				t.Fatalf("Compact = %v, want %v", p.Compact, tc.want)
			}
			out, err := ReplacePlaceholders(p.Data, p.Buffers)
			if err != nil || string(out) != tc.replaced {
				t.Fatalf("ReplacePlaceholders = %s, %v; want %s", out, err, tc.replaced)
			}
			checkCompact(t, out, p.Compact, tc.want)
		})
	}
}

func TestMsgpackCompact(t *testing.T) {
	tests := []struct {
		name, hex string
		data      string // "" for no data
	}{
		{"event", "83a474797065 02 a36e7370 a12f a464617461 92 a568656c6c6f a3796f75", `["hello","you"]`},
		{"bin and map", eventHead[:len(eventHead)-2] + "92 a161 82 a16b c4 01 ff a17a c0", `["a",{"k":{"_binary":"/w=="},"z":null}]`},
		{"no data", "82a474797065 00 a36e7370 a12f", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeMsgpack(unhex(t, tc.hex))
			if err != nil {
				t.Fatal(err)
			}
			if string(p.Data) != tc.data {
				t.Fatalf("Data = %s, want %s", p.Data, tc.data)
			}
			if p.Compact != (tc.data != "") {
				t.Fatalf("Compact = %v with Data %q", p.Compact, p.Data)
			}
			if p.Compact && !json.Valid(p.Data) {
				t.Fatalf("invalid JSON %q marked compact", p.Data)
			}
			var buf bytes.Buffer
			if tc.data != "" && (json.Compact(&buf, p.Data) != nil || buf.String() != tc.data) {
				t.Fatalf("json.Compact = %s", buf.Bytes())
			}
		})
	}
}
