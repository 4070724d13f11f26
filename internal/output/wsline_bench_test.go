package output

import (
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// wsSmallPair is what loadbench's ws-small prints per round trip: an
// EVENT with an ack id and its ACK, matched, with ack_ms.
func wsSmallPair() [2]event.Event {
	ts := time.Date(2026, 12, 3, 11, 29, 17, 394819197, time.UTC)
	args := raw(`[{"op":"get","key":"user:12345","n":12345}]`)
	return [2]event.Event{
		{TS: ts, Kind: event.KindPacket, Sid: "Zk3p100000xQ-AAAB", Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "message",
			Size: 45, Type: "EVENT", Nsp: "/", ID: i64(1234), Event: "echo", Args: args, ArgsCompact: true},
		{TS: ts.Add(781 * time.Microsecond), Kind: event.KindPacket, Sid: "Zk3p100000xQ-AAAB", Transport: "websocket", Dir: "s2c", EIO: 4, Engine: "message",
			Size: 38, Type: "ACK", Nsp: "/", ID: i64(1234), Args: args, ArgsCompact: true, AckMs: f64(0.781042), AckEvent: "echo"},
	}
}

// BenchmarkJSONEventAck is the --json cost of one ws-small round trip:
// two lines, into a sink that keeps nothing.
func BenchmarkJSONEventAck(b *testing.B) {
	evs := wsSmallPair()
	w := NewJSONSink(nopSink{})
	b.ReportAllocs()
	for b.Loop() {
		w.Write(&evs[0])
		w.Write(&evs[1])
	}
}

type nopSink struct{}

func (nopSink) Write(p []byte) (int, error) { return len(p), nil }
func (nopSink) Flush() error                { return nil }
