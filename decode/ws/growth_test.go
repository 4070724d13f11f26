package ws

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// fragmented1MiB is a 1 MiB masked text message sent as 256 frames of
// 4 KiB, as gorilla/websocket (Go clients) writes one with its default
// buffer.
func fragmented1MiB() (payload, stream []byte) {
	payload = bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	var frames []fr
	for i := 0; i < len(payload); i += 4 << 10 {
		op := byte(OpContinuation)
		if i == 0 {
			op = OpText
		}
		frames = append(frames, fr{op: op, fin: i+4<<10 >= len(payload), masked: true, data: payload[i : i+4<<10]})
	}
	return payload, build(frames...)
}

// bytesAllocated is what f allocates on the heap (all goroutines: the
// test runs alone, so that is f).
func bytesAllocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A message in many fragments grows its reassembly buffer geometrically:
// reallocating it to the exact size declared so far at every frame cost
// 256 allocations and 128 MiB of copying for a 1 MiB message in 4 KiB
// frames (quadratic), which made each such event a burst of garbage.
func TestFragmentedMessageGrowsGeometrically(t *testing.T) {
	payload, stream := fragmented1MiB()
	for _, budgeted := range []bool{false, true} {
		t.Run(map[bool]string{false: "no budget", true: "budget"}[budgeted], func(t *testing.T) {
			opt := Options{}
			if budgeted {
				opt.Budget = &countBudget{max: 64 << 20}
			}
			p := NewParser(decode.C2S, Extensions{}, opt)
			var n int
			emit := func(m *Message) {
				if m.Err != nil || !bytes.Equal(m.Data, payload) {
					t.Fatalf("message: %d bytes, %v", len(m.Data), m.Err)
				}
				n++
			}
			feed := func() {
				// In 16 KiB reads, as a relay buffer hands them over.
				for i := 0; i < len(stream); i += 16 << 10 {
					if err := p.Feed(stream[i:min(i+16<<10, len(stream))], emit); err != nil {
						t.Fatal(err)
					}
				}
			}
			p.Release() // each run starts from an empty buffer
			allocs := testing.AllocsPerRun(5, func() { feed(); p.Release() })
			if allocs > 16 {
				t.Errorf("%.0f allocations to reassemble 1 MiB in 256 fragments, want at most 16 (doubling)", allocs)
			}
			if got := bytesAllocated(func() { feed(); p.Release() }); got > 3*uint64(len(payload)) {
				t.Errorf("%d bytes allocated to reassemble a %d-byte message, want at most 3×", got, len(payload))
			}
			if n != 7 {
				t.Fatalf("%d messages, want 7", n)
			}
		})
	}
}

// BenchmarkFragmented1MiB is a 1 MiB message in 256 masked 4 KiB frames,
// fed in 16 KiB reads, with the proxy's budget.
func BenchmarkFragmented1MiB(b *testing.B) {
	_, stream := fragmented1MiB()
	p := NewParser(decode.C2S, Extensions{}, Options{Budget: &countBudget{max: 64 << 20}})
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for i := 0; i < len(stream); i += 16 << 10 {
			if err := p.Feed(stream[i:min(i+16<<10, len(stream))], benchEmit); err != nil {
				b.Fatal(err)
			}
		}
	}
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}
