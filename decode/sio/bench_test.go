package sio

import "testing"

var smallEvent = []byte(`2["chat",{"user":"ann","text":"hello there"}]`)

func BenchmarkParseHeaderSmallEvent(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(smallEvent)))
	for b.Loop() {
		p, _, err := ParseHeader(smallEvent)
		if err != nil || p.Type != Event {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSmallEvent(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(smallEvent)))
	for b.Loop() {
		if _, err := Parse(smallEvent, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBinaryAttachment64KiB(b *testing.B) {
	text := []byte(`51-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`)
	att := make([]byte, 64<<10)
	d := NewDecoder(5)
	b.ReportAllocs()
	b.SetBytes(int64(len(att)))
	for b.Loop() {
		if _, err := d.Text(text); err != nil {
			b.Fatal(err)
		}
		if p, err := d.Binary(att); err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpack(b *testing.B) {
	raw := unhex(b, "83a474797065 02 a36e7370 a12f a464617461 92 a463686174 82 a475736572 a3616e6e a474657874 ab68656c6c6f207468657265")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := DecodeMsgpack(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// The JSON stand-in of a 64 KiB attachment, as output shows it.
func BenchmarkReplacePlaceholders64KiB(b *testing.B) {
	data := []byte(`["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`)
	att := make([]byte, 64<<10)
	for i := range att {
		att[i] = byte(i * 31)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(att)))
	for b.Loop() {
		if out, err := ReplacePlaceholders(data, [][]byte{att}); err != nil || len(out) < len(att) {
			b.Fatal(len(out), err)
		}
	}
}
