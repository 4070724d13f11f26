package eio

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"testing"
)

func chatEvents(n int) []Packet {
	ps := make([]Packet, n)
	for i := range ps {
		ps[i] = txt(Message, fmt.Sprintf(`2["chat",{"user":"alice","text":"hello number %d","ts":1700000000%03d}]`, i, i))
	}
	return ps
}

func benchPayload(b *testing.B, v Version, body []byte, ct string, want int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		ps, err := DecodePayload(v, body, ct)
		if err != nil || len(ps) != want {
			b.Fatalf("%d packets, %v", len(ps), err)
		}
	}
}

func BenchmarkPayloadV4_20Packets(b *testing.B) {
	benchPayload(b, V4, EncodePayloadV4(chatEvents(20)), "", 20)
}

func BenchmarkPayloadV3(b *testing.B) {
	benchPayload(b, V3, EncodePayloadV3(chatEvents(20), false), "text/plain; charset=UTF-8", 20)
}

func BenchmarkPayloadV3XHR2(b *testing.B) {
	ps := chatEvents(20)
	for i := 0; i < len(ps); i += 4 {
		ps[i] = bin(Message, make([]byte, 64)...)
	}
	benchPayload(b, V3, EncodePayloadV3(ps, true), "application/octet-stream", 20)
}

// The Append variant with a reused slice is what a long-lived session uses.
func BenchmarkAppendPayloadV4_20Packets(b *testing.B) {
	body := EncodePayloadV4(chatEvents(20))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	var dst []Packet
	for b.Loop() {
		var err error
		dst, err = AppendPayload(dst[:0], V4, body, "")
		if err != nil || len(dst) != 20 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePacketSmall(b *testing.B) {
	msg := []byte(`42["chat",{"user":"alice","text":"hello","ts":1700000000000}]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		p, err := DecodePacket(V4, msg, false)
		if err != nil || p.Type != Message {
			b.Fatal(err)
		}
	}
}

// A 64 KiB binary message polled as base64 and gzipped by the server, the
// shape of the poll-64k load.
func BenchmarkInflateGzip64K(b *testing.B) {
	raw := make([]byte, 64<<10)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	plain := EncodePayloadV4([]Packet{{Type: Message, Binary: true, Data: raw}})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		out, err := Inflate(gz.Bytes(), "gzip", 0)
		if err != nil || len(out) != len(plain) {
			b.Fatalf("%d bytes, %v", len(out), err)
		}
	}
}
