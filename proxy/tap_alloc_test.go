package proxy

import (
	"bytes"
	"net/url"
	"runtime"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// tapFor is a tap of a proxy with the --mem-budget reassembly pool and one
// sink, fed by hand.
func tapFor(t testing.TB) (*tap, *bus.Queue[obs.Obs]) {
	q := bus.NewQueue[obs.Obs](16)
	u, _ := url.Parse("http://127.0.0.1:1")
	pool := membudget.NewPool(64 << 20)
	pool.ReclaimAfter = -1
	p, err := New(Options{Targets: []*url.URL{u}, Sinks: []*bus.Queue[obs.Obs]{q}, WSBudget: pool})
	if err != nil {
		t.Fatal(err)
	}
	return newTap(p, 1, 0, ""), q
}

// largeMessage is a 1 MB client event (masked, one frame) cut into the
// 32 KiB reads a relay hands the tap.
func largeMessage() (payload []byte, reads [][]byte) {
	payload = append([]byte(`42["echo","`), bytes.Repeat([]byte("x"), 1<<20)...)
	payload = append(payload, `"]`...)
	frame := ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{9, 8, 7, 6}, payload)
	for i := 0; i < len(frame); i += 32 << 10 {
		reads = append(reads, frame[i:min(i+32<<10, len(frame))])
	}
	return payload, reads
}

// A large message reaches the observation in the buffer it was reassembled
// in: the tap used to copy every message, so a 1 MB event left an extra
// megabyte of garbage per direction (with the buffer's doubling, about 3×
// its size in all; now about 2×).
func TestTapKeepsLargeMessageWithoutCopy(t *testing.T) {
	tp, q := tapFor(t)
	payload, reads := largeMessage()
	feed := func() {
		for _, r := range reads {
			tp.feed(int(decode.C2S), r, 1)
		}
	}
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	feed()
	runtime.ReadMemStats(&b)
	o := <-q.C()
	if o.WSMsg == nil || o.WSMsg.Err != "" || !bytes.Equal(o.WSMsg.Data, payload) {
		t.Fatalf("observation: %+v", o.WSMsg)
	}
	if got := b.TotalAlloc - a.TotalAlloc; got > uint64(len(payload))*5/2 {
		t.Errorf("%d bytes allocated for a %d-byte message, want at most 2.5× (reassembly only, no copy)", got, len(payload))
	}
	// The observation keeps its data once the parser moved on.
	feed()
	o2 := <-q.C()
	if &o2.WSMsg.Data[0] == &o.WSMsg.Data[0] || !bytes.Equal(o.WSMsg.Data, payload) {
		t.Fatal("the parser reused a buffer it handed to an observation")
	}
	tp.release()
}

// BenchmarkTapLargeMessage is a 1 MB masked client event through the tap
// (reassembly and the observation), in 32 KiB reads.
func BenchmarkTapLargeMessage(b *testing.B) {
	tp, q := tapFor(b)
	_, reads := largeMessage()
	b.ReportAllocs()
	b.SetBytes(int64(1 << 20))
	for b.Loop() {
		for _, r := range reads {
			tp.feed(int(decode.C2S), r, 1)
		}
		<-q.C()
	}
}
