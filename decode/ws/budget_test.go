package ws

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// countBudget is a Budget of max bytes that records its use.
type countBudget struct {
	mu        sync.Mutex
	max, used int
	peak      int
}

func (b *countBudget) Reserve(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	b.peak = max(b.peak, b.used)
	return true
}

func (b *countBudget) Release(n int) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

func (b *countBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// An unfinished huge frame on one connection holds budget; a second
// connection's message that does not fit is skipped and reported while
// framing stays in sync; once the first stream is released, the budget is
// whole again and the second decodes.
func TestBudgetSharedAcrossParsers(t *testing.T) {
	b := &countBudget{max: 1 << 20}
	a := NewParser(decode.C2S, Extensions{}, Options{Budget: b})
	c := NewParser(decode.C2S, Extensions{}, Options{Budget: b})

	// a: a masked 16 MiB frame of which 900 KB arrive.
	huge := build(fr{op: OpBinary, fin: true, masked: true, data: make([]byte, 16<<20)})
	msgs, err := feedAll(a, huge[:900_000])
	if err != nil || len(msgs) != 0 {
		t.Fatalf("partial frame: %v %v", msgs, err)
	}
	if b.inUse() == 0 || b.inUse() > 1<<20 {
		t.Fatalf("budget in use %d after 900 KB of an unfinished frame", b.inUse())
	}

	big := bytes.Repeat([]byte("x"), 300_000)
	stream := build(fr{op: OpText, fin: true, masked: true, data: big}, fr{op: OpText, fin: true, masked: true, data: []byte("after")})
	msgs, err = feedAll(c, stream)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("second parser: %v %v", msgs, err)
	}
	if !strings.Contains(msgs[0].Err, "reassembly memory budget") || msgs[0].Data != "" || msgs[0].PayloadLen != len(big) {
		t.Fatalf("over-budget message: %v", msgs[0])
	}
	if msgs[1].Data != "after" || msgs[1].Err != "" {
		t.Fatalf("message after the skipped one: %v", msgs[1])
	}

	a.Release()
	if b.inUse() != c.held {
		t.Fatalf("after Release of the first parser: %d in use, second holds %d", b.inUse(), c.held)
	}
	msgs, err = feedAll(c, stream)
	if err != nil || len(msgs) != 2 || msgs[0].Data != string(big) {
		t.Fatalf("after the budget came back: %v %v", msgs, err)
	}
	c.Release()
	if b.inUse() != 0 {
		t.Fatalf("%d bytes still reserved after both parsers were released", b.inUse())
	}
}

// A deflate bomb inflates under the budget or is refused by it, and the
// context-takeover window is then marked lost as for any skipped message.
func TestBudgetInflateBomb(t *testing.T) {
	b := &countBudget{max: 2 << 20}
	p := NewParser(decode.S2C, Extensions{Deflate: true}, Options{Budget: b})
	bomb := deflateStream(t, true, make([]byte, 8<<20), []byte("next"))
	msgs, err := feedAll(p, build(fr{op: OpText, fin: true, rsv1: true, data: bomb[0]}, fr{op: OpText, fin: true, rsv1: true, data: bomb[1]}))
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%v %v", msgs, err)
	}
	if !strings.Contains(msgs[0].Err, "reassembly memory budget") {
		t.Fatalf("bomb: %v", msgs[0])
	}
	if msgs[1].Err == "" || !strings.Contains(msgs[1].Err, "window lost") {
		t.Fatalf("message after the bomb under context takeover: %v", msgs[1])
	}
	if b.peak > b.max {
		t.Fatalf("peak %d over max %d", b.peak, b.max)
	}
	p.Release()
	if b.inUse() != 0 {
		t.Fatalf("%d bytes still reserved after Release", b.inUse())
	}
}

// Between messages a budgeted parser keeps at most a small buffer, so idle
// connections do not hoard the shared budget.
func TestBudgetIdleKeepsLittle(t *testing.T) {
	b := &countBudget{max: 64 << 20}
	p := NewParser(decode.C2S, Extensions{}, Options{Budget: b})
	msgs, err := feedAll(p, build(fr{op: OpBinary, fin: true, masked: true, data: make([]byte, 3<<20)}))
	if err != nil || len(msgs) != 1 || len(msgs[0].Data) != 3<<20 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if b.inUse() > keepBudgeted {
		t.Fatalf("idle parser holds %d bytes of the budget", b.inUse())
	}
}

// FuzzBudget feeds any stream in any chunking to two parsers sharing a
// small budget: the budget is never exceeded, and after Release nothing is
// left reserved.
func FuzzBudget(f *testing.F) {
	f.Add(byte(0), uint32(7), build(fr{op: OpBinary, fin: true, masked: true, data: make([]byte, 9000)}))
	f.Add(byte(1), uint32(3), deflateFrames(deflateStream(f, true, bytes.Repeat([]byte("ab"), 5000), []byte("x")), true))
	f.Fuzz(func(t *testing.T, mode byte, chunkSeed uint32, in []byte) {
		dir, ext, opt := fuzzSetup(mode)
		b := &countBudget{max: 6 << 10}
		opt.Budget = b
		ps := []*Parser{NewParser(dir, ext, opt), NewParser(dir, ext, opt)}
		for i, c := range chunks(in, chunkSeed) {
			ps[i%2].Feed(c, func(*Message) {})
			if b.inUse() > b.max || b.peak > b.max {
				t.Fatalf("budget %d exceeded: %d in use, peak %d", b.max, b.inUse(), b.peak)
			}
		}
		for _, p := range ps {
			p.Release()
		}
		if b.inUse() != 0 {
			t.Fatalf("%d bytes reserved after Release", b.inUse())
		}
	})
}

// BenchmarkBudgeted64KiBBinaryFrame is Benchmark64KiBBinaryFrameChunked
// with a shared budget: the cost of accounting on the hot path.
func BenchmarkBudgeted64KiBBinaryFrame(b *testing.B) {
	frame := build(fr{op: OpBinary, fin: true, masked: true, data: make([]byte, 64<<10)})
	p := NewParser(decode.C2S, Extensions{}, Options{Budget: &countBudget{max: 64 << 20}})
	emit := func(*Message) {}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		for c := frame; len(c) > 0; {
			n := min(len(c), 16<<10)
			p.Feed(c[:n], emit)
			c = c[n:]
		}
	}
}

// chunks splits in pseudo-randomly from seed, as FuzzParser does.
func chunks(in []byte, seed uint32) [][]byte {
	var out [][]byte
	s := seed | 1
	for rest := in; len(rest) > 0; {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		n := int(s>>8) % 600
		n = min(max(n, 1), len(rest))
		out = append(out, rest[:n])
		rest = rest[n:]
	}
	return out
}
