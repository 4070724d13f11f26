package ws

import (
	"bytes"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

var (
	benchSink int
	benchErr  error
)

func benchEmit(m *Message) {
	benchSink += len(m.Data)
	if m.Err != nil {
		benchErr = m.Err
	}
}

func benchFeed(b *testing.B, p *Parser, in []byte) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := p.Feed(in, benchEmit); err != nil {
			b.Fatal(err)
		}
	}
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

func BenchmarkSmallMaskedTextFrame(b *testing.B) {
	payload := []byte(`42["chat",{"user":"ann","text":"hello there","room":"lobby","ts":1712345678901}]`)
	in := AppendFrame(nil, OpText, true, false, &testKey, payload)
	benchFeed(b, NewParser(decode.C2S, Extensions{}, Options{}), in)
}

func BenchmarkSmallUnmaskedTextFrame(b *testing.B) {
	payload := []byte(`42["chat",{"user":"ann","text":"hello there","room":"lobby","ts":1712345678901}]`)
	in := AppendFrame(nil, OpText, true, false, nil, payload)
	benchFeed(b, NewParser(decode.S2C, Extensions{}, Options{}), in)
}

func Benchmark64KiBBinaryFrame(b *testing.B) {
	payload := bytes.Repeat([]byte{0x5a, 0x01, 0xfe, 0x33}, 16<<10)
	in := AppendFrame(nil, OpBinary, true, false, &testKey, payload)
	benchFeed(b, NewParser(decode.C2S, Extensions{}, Options{}), in)
}

// Benchmark64KiBBinaryFrameChunked is the same frame as a tap sees it: in
// 4 KiB reads, so the running mask offset and buffer growth are exercised.
func Benchmark64KiBBinaryFrameChunked(b *testing.B) {
	payload := bytes.Repeat([]byte{0x5a, 0x01, 0xfe, 0x33}, 16<<10)
	in := AppendFrame(nil, OpBinary, true, false, &testKey, payload)
	p := NewParser(decode.C2S, Extensions{}, Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		for i := 0; i < len(in); i += 4093 {
			if err := p.Feed(in[i:min(i+4093, len(in))], benchEmit); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDeflateContextTakeover feeds one small compressed message per
// op from a 4096-message context-takeover stream (about 200 KB inflated, so
// the 32 KiB window is full nearly all the time), starting over (Reset) at
// its end.
func BenchmarkDeflateContextTakeover(b *testing.B) {
	var msgs [][]byte
	for i := range 4096 {
		msgs = append(msgs, chatMsgs[1+i%3])
	}
	var frames [][]byte
	total := 0
	for _, c := range deflateStream(b, true, msgs...) {
		frames = append(frames, AppendFrame(nil, OpText, true, true, &testKey, c))
		total += len(frames[len(frames)-1])
	}
	p := NewParser(decode.C2S, deflateExt, Options{})
	b.ReportAllocs()
	b.SetBytes(int64(total / len(frames)))
	i := 0
	for b.Loop() {
		if i == len(frames) {
			p.Reset()
			i = 0
		}
		if err := p.Feed(frames[i], benchEmit); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

// BenchmarkFragmented is a 4-fragment masked text message with a ping
// between the second and third fragment.
func BenchmarkFragmented(b *testing.B) {
	part := []byte(`{"user":"ann","text":"hello there"},`)
	in := build(
		fr{op: OpText, masked: true, data: part},
		fr{op: OpContinuation, masked: true, data: part},
		fr{op: OpPing, fin: true, masked: true, data: []byte("hb")},
		fr{op: OpContinuation, masked: true, data: part},
		fr{op: OpContinuation, fin: true, masked: true, data: part},
	)
	benchFeed(b, NewParser(decode.C2S, Extensions{}, Options{}), in)
}
