package decode_test

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/decode/ws"
)

// smallEvent is a typical chat emit, about 100 bytes on the wire.
const smallEvent = `42["chat",{"user":"ann","room":"general","text":"hello there, how is everyone doing?"}]`

// TestSmallEventPath checks the benchmarked path really decodes the event.
func TestSmallEventPath(t *testing.T) {
	frame := ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{1, 2, 3, 4}, []byte(smallEvent))
	p := ws.NewParser(decode.C2S, ws.Extensions{}, ws.Options{})
	var got sio.Packet
	err := p.Feed(frame, func(m *ws.Message) {
		ep, err := eio.DecodePacket(eio.V4, m.Data, m.Opcode == ws.OpBinary)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err = sio.ParseHeader(ep.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got.EventName() != "chat" {
			t.Fatalf("event %q", got.EventName())
		}
	})
	if err != nil || got.Type != sio.Event || got.Nsp != "/" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if len(frame) < 90 || len(frame) > 110 {
		t.Fatalf("frame is %d bytes, want about 100", len(frame))
	}
}

// BenchmarkSmallEventFrameToSocketIO is the relay's per-message decode cost
// for a small masked client event: RFC 6455 framing and unmasking, the
// Engine.IO packet and the Socket.IO header (type, namespace, ack id, event
// name). Goal: under 1 µs and at most one allocation.
func BenchmarkSmallEventFrameToSocketIO(b *testing.B) {
	frame := ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{0x9a, 0x3c, 0x51, 0xe7}, []byte(smallEvent))
	p := ws.NewParser(decode.C2S, ws.Extensions{}, ws.Options{})
	var name string
	emit := func(m *ws.Message) {
		ep, err := eio.DecodePacket(eio.V4, m.Data, m.Opcode == ws.OpBinary)
		if err != nil {
			b.Fatal(err)
		}
		sp, _, err := sio.ParseHeader(ep.Data)
		if err != nil {
			b.Fatal(err)
		}
		name = sp.EventName()
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Feed(frame, emit); err != nil {
			b.Fatal(err)
		}
	}
	if name != "chat" {
		b.Fatal(name)
	}
}

// BenchmarkBinaryAttachment64KiBFrame is a BINARY_EVENT header frame and a
// 64 KiB masked binary attachment frame through framing, Engine.IO and the
// Socket.IO reassembler.
func BenchmarkBinaryAttachment64KiBFrame(b *testing.B) {
	att := make([]byte, 64<<10)
	for i := range att {
		att[i] = byte(i * 31)
	}
	mask := &[4]byte{7, 7, 1, 9}
	stream := ws.AppendFrame(nil, ws.OpText, true, false, mask, []byte(`451-["upload",{"name":"a.bin"},{"_placeholder":true,"num":0}]`))
	stream = ws.AppendFrame(stream, ws.OpBinary, true, false, mask, att)
	p := ws.NewParser(decode.C2S, ws.Extensions{}, ws.Options{})
	dec := sio.NewDecoder(5)
	var done int
	emit := func(m *ws.Message) {
		ep, err := eio.DecodePacket(eio.V4, m.Data, m.Opcode == ws.OpBinary)
		if err != nil {
			b.Fatal(err)
		}
		var sp *sio.Packet
		if ep.Binary {
			sp, err = dec.Binary(ep.Data)
		} else {
			sp, err = dec.Text(ep.Data)
		}
		if err != nil {
			b.Fatal(err)
		}
		if sp != nil {
			done++
		}
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Feed(stream, emit); err != nil {
			b.Fatal(err)
		}
	}
	if done == 0 {
		b.Fatal("no packet completed")
	}
}
