package session

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

func BenchmarkTrackerWebSocketEvent(b *testing.B) {
	tr := NewTracker(Options{})
	n := 0
	emit := func(event.Event) { n++ }
	tr.Observe(wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"), emit)
	tr.Observe(wsText(1, 1, s2c, open4ws), emit)
	tr.Observe(wsText(2, 1, c2s, "40"), emit)
	msg := wsText(3, 1, c2s, `42["message",{"user":"ann","text":"hello there"}]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg.WSMsg.Data)))
	for b.Loop() {
		tr.Observe(msg, emit)
	}
	if n == 0 {
		b.Fatal("no events")
	}
}

func BenchmarkTrackerPollingPayload(b *testing.B) {
	tr := NewTracker(Options{})
	n := 0
	emit := func(event.Event) { n++ }
	tr.Observe(get(0, 1, q4, 200, open4), emit)
	body := `42["a",1]` + "\x1e" + `42["b",{"x":[1,2,3]}]` + "\x1e2\x1e" + `42["c","text"]`
	o := get(2, 3, q4sid, 200, body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		tr.Observe(o, emit)
	}
	if n == 0 {
		b.Fatal("no events")
	}
}
