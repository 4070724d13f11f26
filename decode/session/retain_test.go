package session

import (
	"runtime"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// A session outlives its last message by minutes (closed sessions are
// kept for late packets and faults), so nothing in it may keep that
// message's bytes: the proxy hands a large message's reassembly buffer
// over without a copy, and a 1 MB event's buffer stayed live per session.
func TestSessionDoesNotKeepLastMessage(t *testing.T) {
	tr := NewTracker(Options{})
	emit := func(event.Event) {}
	for _, o := range []obs.Obs{
		wsOpen(0, 7, ws4sid),
		wsText(1, 7, s2c, `0{"sid":"SID4","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
		wsText(2, 7, c2s, `40`),
		wsText(3, 7, s2c, `40{"sid":"S1"}`),
	} {
		tr.Observe(o, emit)
	}
	const size = 1 << 20
	buf := new([size]byte)
	copy(buf[:], `42["big","`)
	for i := 10; i < size-2; i++ {
		buf[i] = 'x'
	}
	copy(buf[size-2:], `"]`)
	freed := make(chan struct{})
	runtime.AddCleanup(buf, func(ch chan struct{}) { close(ch) }, freed)
	tr.Observe(obs.Obs{Kind: obs.KindWSMsg, Time: ms(4), WSMsg: &obs.WSMessage{Conn: 7, Dir: decode.C2S, Opcode: 1, Data: buf[:], WireLen: size + 10, Frames: 1}}, emit)
	buf = nil
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.GC()
		select {
		case <-freed:
			runtime.KeepAlive(tr)
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the session still holds its last message's buffer after 30 s of collections")
		}
	}
}
