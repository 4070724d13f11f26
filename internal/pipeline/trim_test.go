package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// 1 MB events reach the UI ring trimmed (and the ring stays within its
// bytes), while --json output gets them whole.
func TestTrimEventsForTheRing(t *testing.T) {
	in := bus.NewQueue[obs.Obs](1024)
	ring := bus.NewRingBytes(1<<16, 8<<20, func(e event.Event) int { return e.MemSize() })
	var out lockedBuffer
	var trimmed atomic.Uint64
	big := `42["big","` + strings.Repeat("a", 1<<20) + `"]`
	for _, o := range wsSession(1, "s1") {
		in.Push(o)
	}
	for i := 0; i < 40; i++ {
		in.Push(obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Second), WSMsg: &obs.WSMessage{Conn: 1, Dir: decode.C2S, Opcode: 1, Data: []byte(big)}})
	}
	in.Close()
	err := Run(context.Background(), Config{In: in, Events: ring, Out: &out, Format: "json", TrimEvents: 64 << 10, Trimmed: &trimmed, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	if trimmed.Load() != 40 {
		t.Fatalf("trimmed %d events, want 40", trimmed.Load())
	}
	if ring.Bytes() > 8<<20 {
		t.Fatalf("ring holds %d bytes", ring.Bytes())
	}
	evs, _, _ := ring.Since(nil, 0, 1<<16)
	n := 0
	for _, ev := range evs {
		if ev.Event != "big" {
			continue
		}
		n++
		if ev.Trimmed == 0 || len(ev.Args) > 2<<10 || !strings.HasPrefix(string(ev.Args), `{"_trimmed":"`) || !json.Valid(ev.Args) {
			t.Fatalf("ring event: trimmed %d, args %.120s", ev.Trimmed, ev.Args)
		}
		if len(ev.Raw) > 4<<10 {
			t.Fatalf("ring event keeps %d raw bytes", len(ev.Raw))
		}
	}
	if n == 0 {
		t.Fatal("no big event in the ring")
	}
	whole := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct {
			Event string          `json:"event"`
			Args  json.RawMessage `json:"args"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("invalid JSON line: %v", err)
		}
		if ev.Event == "big" && len(ev.Args) == len(big)-len(`42"big",`) {
			whole++
		}
	}
	if whole != 40 {
		t.Fatalf("%d whole big events in the --json output, want 40", whole)
	}
}
