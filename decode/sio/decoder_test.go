package sio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

func msgOf(t *testing.T, err error) string {
	t.Helper()
	var de *decode.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *decode.Error", err)
	}
	return de.Msg
}

// A binary packet straddles calls (polling bodies, the upgrade) and the
// Decoder copies what it keeps, so the caller may reuse its buffers.
func TestReassemblyAcrossCalls(t *testing.T) {
	d := NewDecoder(5)
	in := []byte(`52-/admin,7["up",` + ph0 + `,{"x":` + ph1 + `}]`)
	p, err := d.Text(in)
	if p != nil || err != nil {
		t.Fatalf("Text = %v, %v; want nil, nil", p, err)
	}
	copy(in, bytes.Repeat([]byte("#"), len(in))) // the caller reuses its buffer
	a := []byte{1, 2}
	if p, err = d.Binary(a); p != nil || err != nil {
		t.Fatalf("first attachment: %v %v", p, err)
	}
	a[0] = 99
	pend, have := d.Pending()
	if pend == nil || have != 1 || pend.Attachments != 2 {
		t.Fatalf("Pending = %v, %d", pend, have)
	}
	p, err = d.Binary([]byte{3, 4})
	if err != nil || p == nil {
		t.Fatalf("second attachment: %v %v", p, err)
	}
	if string(p.Data) != `["up",`+ph0+`,{"x":`+ph1+`}]` || !equalBufs(p.Buffers, [][]byte{{1, 2}, {3, 4}}) || p.ID != 7 || p.Nsp != "/admin" {
		t.Fatalf("got %+v", p)
	}
	out, err := ReplacePlaceholders(p.Data, p.Buffers)
	if err != nil || string(out) != `["up",{"_binary":"AQI="},{"x":{"_binary":"AwQ="}}]` {
		t.Fatalf("ReplacePlaceholders = %s, %v", out, err)
	}
}

func TestInterleavedErrors(t *testing.T) {
	bin := `51-["a",` + ph0 + `]`
	t.Run("text while pending drops it and decodes the new packet", func(t *testing.T) {
		d := NewDecoder(5)
		d.Text([]byte(bin))
		p, err := d.Text([]byte(`2["next"]`))
		if err == nil || !strings.HasPrefix(msgOf(t, err), MsgPlaintextWhilePending) {
			t.Fatalf("err = %v", err)
		}
		if p == nil || p.EventName() != "next" {
			t.Fatalf("new packet lost: %v", p)
		}
		if pp, _ := d.Pending(); pp != nil {
			t.Fatal("old packet still pending")
		}
	})
	t.Run("text while pending, new one binary too", func(t *testing.T) {
		d := NewDecoder(5)
		d.Text([]byte(bin))
		p, err := d.Text([]byte(`61-3[` + ph0 + `]`))
		if p != nil || err == nil {
			t.Fatalf("got %v %v", p, err)
		}
		if p, err = d.Binary([]byte("z")); err != nil || p == nil || p.Type != BinaryAck || p.ID != 3 {
			t.Fatalf("new binary packet: %v %v", p, err)
		}
	})
	t.Run("bad text while pending reports both", func(t *testing.T) {
		d := NewDecoder(5)
		d.Text([]byte(bin))
		_, err := d.Text([]byte(`2[]`))
		if err == nil || !strings.Contains(err.Error(), MsgPlaintextWhilePending) || !strings.Contains(err.Error(), MsgInvalidPayload) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("binary when nothing pending", func(t *testing.T) {
		d := NewDecoder(5)
		_, err := d.Binary([]byte{1, 2, 3})
		if err == nil || !strings.HasPrefix(msgOf(t, err), MsgBinaryNotPending) {
			t.Fatalf("err = %v", err)
		}
		d.Text([]byte(bin))
		if p, err := d.Binary([]byte{1}); p == nil || err != nil {
			t.Fatal(p, err)
		}
		if _, err := d.Binary([]byte{1}); err == nil {
			t.Fatal("extra attachment accepted")
		}
	})
	t.Run("placeholder out of range", func(t *testing.T) {
		d := NewDecoder(5)
		d.Text([]byte(`51-["a",{"_placeholder":true,"num":1}]`))
		_, err := d.Binary([]byte{1})
		if err == nil || !strings.HasPrefix(msgOf(t, err), MsgIllegalPlaceholder) {
			t.Fatalf("err = %v", err)
		}
		if p, err := d.Text([]byte(`2["ok"]`)); err != nil || p == nil {
			t.Fatalf("not recovered: %v %v", p, err)
		}
	})
	t.Run("attachment over the cap", func(t *testing.T) {
		d := NewDecoder(5)
		d.MaxAttachmentBytes = 4
		d.Text([]byte(bin))
		_, err := d.Binary(make([]byte, 5))
		if err == nil || !strings.HasPrefix(msgOf(t, err), MsgAttachmentTooLarge) {
			t.Fatalf("err = %v", err)
		}
		if pp, _ := d.Pending(); pp != nil {
			t.Fatal("still pending")
		}
	})
	t.Run("own attachment cap", func(t *testing.T) {
		d := NewDecoder(5)
		d.MaxAttachments = 2
		_, err := d.Text([]byte(`53-["a"]`))
		if err == nil || !strings.HasPrefix(msgOf(t, err), MsgTooManyAttachments) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		data string
		n    int
		want string // ReplacePlaceholders output, or an error prefix after "!"
	}{
		{`["a",` + ph0 + `]`, 1, `["a",{"_binary":"AA=="}]`},
		{`[{"num":0,"_placeholder":true}]`, 1, `[{"_binary":"AA=="}]`},
		{`[{"_placeholder":false,"num":0}]`, 1, `[{"_placeholder":false,"num":0}]`},
		{`[{"_placeholder":"true","num":0}]`, 1, `[{"_placeholder":"true","num":0}]`},
		{`[{"_placeholder":true,"num":0,"_placeholder":false}]`, 1, `[{"_placeholder":true,"num":0,"_placeholder":false}]`},
		{`[{"\u005fplaceholder":true,"num":0}]`, 1, `[{"_binary":"AA=="}]`},
		{`[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":9}}]`, 1, `[{"_binary":"AA=="}]`},
		{`[["_placeholder",true],{"_placeholder":true,"num":0}]`, 1, `[["_placeholder",true],{"_binary":"AA=="}]`},
		{`[{"_placeholder":true,"num":1}]`, 1, "!" + MsgIllegalPlaceholder},
		{`[{"_placeholder":true,"num":-1}]`, 1, "!" + MsgIllegalPlaceholder},
		{`[{"_placeholder":true,"num":"0"}]`, 1, "!" + MsgIllegalPlaceholder},
		{`[{"_placeholder":true}]`, 1, "!" + MsgIllegalPlaceholder},
		{`[{"_placeholder":true,"num":0.5}]`, 1, "!" + MsgIllegalPlaceholder},
		{`[1,`, 1, "!" + MsgInvalidPayload},
	}
	for _, c := range cases {
		t.Run(c.data, func(t *testing.T) {
			bufs := make([][]byte, c.n)
			for i := range bufs {
				bufs[i] = []byte{0}
			}
			out, err := ReplacePlaceholders([]byte(c.data), bufs)
			if strings.HasPrefix(c.want, "!") {
				if err == nil || !strings.HasPrefix(msgOf(t, err), c.want[1:]) {
					t.Fatalf("got %s, %v; want error %s", out, err, c.want[1:])
				}
				return
			}
			if err != nil || string(out) != c.want {
				t.Fatalf("got %s, %v; want %s", out, err, c.want)
			}
		})
	}
}

func TestEncodeEvent(t *testing.T) {
	id := int64(1)
	tests := []struct {
		name     string
		enc      func() ([]byte, [][]byte)
		wantText string
		wantAtts [][]byte
	}{
		{"plain", func() ([]byte, [][]byte) { return EncodeEvent("/", nil, "hey", "Jude") }, `2["hey","Jude"]`, nil},
		{"html and unicode unescaped", func() ([]byte, [][]byte) { return EncodeEvent("/", nil, "msg", "<b>&é😀\n") }, `2["msg","<b>&é😀\n"]`, nil},
		{"binary depth-first", func() ([]byte, [][]byte) {
			return EncodeEvent("/admin", &id, "baz", []byte{1, 2}, map[string]any{"y": []any{[]byte{5}}, "x": []byte{3}})
		}, `53-/admin,1["baz",` + ph0 + `,{"x":` + ph1 + `,"y":[{"_placeholder":true,"num":2}]}]`, [][]byte{{1, 2}, {3}, {5}}},
		{"raw json and structs", func() ([]byte, [][]byte) {
			return EncodeEvent("/", nil, "s", []byte(nil)[:0:0], struct {
				A int `json:"a"`
			}{7}, nil, 1.5, 1e21)
		}, `51-["s",` + ph0 + `,{"a":7},null,1.5,1e+21]`, [][]byte{{}}},
		{"empty ack", func() ([]byte, [][]byte) { return EncodeAck("/", 12) }, `312[]`, nil},
		{"test-suite ack", func() ([]byte, [][]byte) { return EncodeAck("/", 456, 1, "2", map[string]any{"3": []any{false}}) }, `3456[1,"2",{"3":[false]}]`, nil},
		{"binary ack", func() ([]byte, [][]byte) { return EncodeAck("/admin", 456, []byte{3, 2, 1}) }, `61-/admin,456[` + ph0 + `]`, [][]byte{{3, 2, 1}}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			text, atts := c.enc()
			if string(text) != c.wantText || !equalBufs(atts, c.wantAtts) {
				t.Fatalf("got %s %x, want %s %x", text, atts, c.wantText, c.wantAtts)
			}
			// What we encode, the parser accepts.
			d := NewDecoder(5)
			p, err := d.Text(text)
			for _, a := range atts {
				if err != nil {
					break
				}
				p, err = d.Binary(a)
			}
			if err != nil || p == nil {
				t.Fatalf("decode back: %v %v", p, err)
			}
		})
	}
}

// appendBase64 must write exactly what encoding/base64 writes, for every
// length around the 6-byte steps and the 8-byte loads, after any prefix.
func TestAppendBase64(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(src); n++ {
		for _, prefix := range []string{"", `{"_binary":"`} {
			got := appendBase64([]byte(prefix), src[:n])
			want := prefix + base64.StdEncoding.EncodeToString(src[:n])
			if string(got) != want {
				t.Fatalf("%d bytes after %q: %q, want %q", n, prefix, got, want)
			}
		}
	}
}
