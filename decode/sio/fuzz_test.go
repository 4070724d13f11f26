package sio

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, v := range vectors {
		f.Add([]byte(v.wire), v.proto == 4)
	}
	for _, s := range []string{`442["some","data"`, `0/admin,"invalid"`, `2["connect"]`, `5a-`, `51.23-`, `999`, "", " ", `2 7["a"]`, `50x2-["a"]`, `2["\ud83d"]`} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, s []byte, v4 bool) {
		proto := 5
		if v4 {
			proto = 4
		}
		h, off, herr := ParseHeader(s)
		p, err := Parse(s, proto)
		if herr != nil {
			if err == nil {
				t.Fatalf("Parse accepted what ParseHeader refused: %v", herr)
			}
			return
		}
		if off < 0 || off > len(s) || (h.Data != nil && !bytes.Equal(h.Data, s[off:])) {
			t.Fatalf("offset %d of %d", off, len(s))
		}
		_ = h.EventName()
		if err != nil {
			return
		}
		if p.Data != nil && !json.Valid(p.Data) {
			t.Fatalf("accepted invalid JSON %q", p.Data)
		}
		checkCompact(t, p.Data, p.Compact, false)
		if p.Attachments > DefaultMaxAttachments {
			t.Fatalf("%d attachments", p.Attachments)
		}
		// Encoding a parsed packet and parsing it again is stable.
		text, _ := Encode(p)
		q, err := Parse(text, proto)
		if err != nil {
			t.Fatalf("re-encoded %q as %q, which fails: %v", s, text, err)
		}
		if q.Type != p.Type || q.Nsp != p.Nsp || q.Query != p.Query || q.ID != p.ID || q.HasID != p.HasID || q.Attachments != p.Attachments || !bytes.Equal(q.Data, p.Data) || q.Compact != p.Compact {
			t.Fatalf("%q -> %q: %+v != %+v", s, text, q, p)
		}
		switch p.Type {
		case Connect:
			ParseConnect(&p)
		case ConnectError:
			ParseConnectError(&p)
		}
	})
}

// FuzzDecoder feeds a sequence of messages: the input is split on 0xFF, and
// a chunk whose first byte is odd is binary, else text (first byte dropped).
func FuzzDecoder(f *testing.F) {
	for _, v := range vectors {
		seq := append([]byte{0}, v.wire...)
		for _, b := range v.bins {
			seq = append(append(seq, 0xFF, 1), b...)
		}
		f.Add(seq, v.proto == 4)
	}
	f.Add([]byte("\x0051-[\"a\",{\"_placeholder\":true,\"num\":1}]\xff\x01x\xff\x002[\"ok\"]"), false)
	f.Add([]byte("\x0052-[\"a\"]\xff\x002[\"b\"]\xff\x01z\xff\x01\x82\xa4type\x00\xa3nsp\xa1/"), false)
	f.Fuzz(func(t *testing.T, in []byte, v4 bool) {
		proto := 5
		if v4 {
			proto = 4
		}
		d := NewDecoder(proto)
		d.MaxAttachmentBytes = 1 << 10
		for _, chunk := range bytes.Split(in, []byte{0xFF}) {
			if len(chunk) == 0 {
				continue
			}
			var p *Packet
			if chunk[0]&1 == 1 {
				p, _ = d.Binary(chunk[1:])
			} else {
				p, _ = d.Text(chunk[1:])
			}
			if pend, have := d.Pending(); pend != nil && (have >= pend.Attachments || pend.Attachments > DefaultMaxAttachments) {
				t.Fatalf("pending %d of %d", have, pend.Attachments)
			}
			if p == nil || p.Msgpack {
				continue
			}
			if p.Type.IsBinary() {
				if len(p.Buffers) != p.Attachments {
					t.Fatalf("%d buffers for %d attachments", len(p.Buffers), p.Attachments)
				}
				out, err := ReplacePlaceholders(p.Data, p.Buffers)
				if err != nil || !json.Valid(out) {
					t.Fatalf("completed packet with bad placeholders: %v %q", err, out)
				}
				checkCompact(t, out, p.Compact, false)
			}
		}
	})
}

func FuzzMsgpack(f *testing.F) {
	f.Add(unhex(f, "83a474797065 02 a36e7370 a12f a464617461 92 a568656c6c6f a3796f75"))
	f.Add(unhex(f, "82a474797065 00 a36e7370 a12f"))
	f.Add(unhex(f, "85 a474797065 02 a464617461 92 a3616263 c4 01 ff a76f7074696f6e73 81 a8636f6d7072657373 c3 a26964 cb4028000000000000 a36e7370 a62f61646d696e"))
	f.Add(unhex(f, eventHead+"d7 00 0000016f5e66e800"))
	f.Add(unhex(f, eventHead+"c7 03 01 313233"))
	f.Add(unhex(f, eventHead+"dd ffffffff"))
	f.Add(unhex(f, "83 a474797065 00 a36e7370 a12f a464617461 d7 00 0000016f5e66e800"))
	f.Fuzz(func(t *testing.T, b []byte) {
		looks := LooksLikeMsgpack(b)
		p, err := DecodeMsgpack(b)
		if err != nil {
			return
		}
		if !looks {
			t.Fatal("decodable but LooksLikeMsgpack is false")
		}
		if p.Data != nil && !json.Valid(p.Data) {
			t.Fatalf("invalid JSON %q", p.Data)
		}
		checkCompact(t, p.Data, p.Compact, p.Data != nil)
		if len(p.Data) > 8*len(b)+16 {
			t.Fatalf("%d bytes of JSON from %d of msgpack", len(p.Data), len(b))
		}
		enc, err := EncodeMsgpack(p)
		if err != nil {
			// A Date is the one value whose JSON view (a string) has
			// another kind; as CONNECT data it cannot be written back.
			if p.Type == Connect && jsonKind(p.Data) == "string" {
				return
			}
			t.Fatalf("EncodeMsgpack: %v", err)
		}
		q, err := DecodeMsgpack(enc)
		if err != nil {
			t.Fatalf("re-encoded packet fails: %v", err)
		}
		// The encoder writes an empty Nsp as "/" (TestMsgpackEmptyNamespace).
		wantNsp := p.Nsp
		if wantNsp == "" {
			wantNsp = "/"
		}
		if q.Type != p.Type || q.Nsp != wantNsp || q.ID != p.ID || q.HasID != p.HasID {
			t.Fatalf("%+v != %+v", q, p)
		}
	})
}

// checkCompact fails if compact vouches for data that is not exactly what
// json.Compact makes of it, or if want is set and compact is not.
func checkCompact(t *testing.T, data []byte, compact, want bool) {
	t.Helper()
	if want && !compact {
		t.Fatalf("%q not marked compact", clip(data))
	}
	if !compact {
		return
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("marked compact but json.Compact gives %q, %v for %q", clip(buf.Bytes()), err, clip(data))
	}
}
