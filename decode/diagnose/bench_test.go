package diagnose

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func benchHealthyWS(b *testing.B, d session.Diagnoser) {
	w := newWire()
	tr := session.NewTracker(session.Options{Diagnoser: d})
	emit := func(event.Event) {}
	for _, o := range concat(w.wsOnly(0, 9, open4ws), []obs.Obs{
		wsText(2, 9, c2s, "40"),
		wsText(3, 9, s2c, `40{"sid":"s0"}`),
	}) {
		tr.Observe(o, emit)
	}
	msg := wsText(10, 9, c2s, `42["message",{"text":"hello","n":1}]`)
	b.ReportAllocs()
	for b.Loop() {
		tr.Observe(msg, emit)
	}
}

// BenchmarkDiagnoseHealthyWebSocketEvent is one Socket.IO EVENT over
// WebSocket through the Tracker with the Engine; compare with
// BenchmarkTrackerWebSocketEventNoDiagnoser for the rules' share.
func BenchmarkDiagnoseHealthyWebSocketEvent(b *testing.B) { benchHealthyWS(b, New(Options{})) }

func BenchmarkTrackerWebSocketEventNoDiagnoser(b *testing.B) { benchHealthyWS(b, nil) }
