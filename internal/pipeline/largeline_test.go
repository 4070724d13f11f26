package pipeline

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/output"
)

var _ output.LineTaker = (*chunkWriter)(nil)

// lineSink keeps what the writer goroutine wrote.
type lineSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func largeEvent() *event.Event {
	return &event.Event{TS: time.Unix(1700000000, 0).UTC(), Kind: event.KindPacket, Sid: "a1B2c3d4e5f6g7h8AAAB",
		Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "message", Type: "EVENT", Nsp: "/", Event: "echo",
		Args: json.RawMessage(`["` + strings.Repeat("x", 1<<20) + `"]`), ArgsCompact: true}
}

// A 1 MB event's --json line is built in one buffer of about its size and
// handed to the writer goroutine as it is: it used to grow through append
// (copied about five times) and then be copied into a chunk that grew the
// same way, several megabytes of garbage per large event.
func TestLargeLineNotCopied(t *testing.T) {
	dst := &lineSink{}
	dst.buf.Grow(4 << 20) // the writer goroutine must not allocate while we count
	w := newChunkWriter(dst, 16, 0, false)
	go w.loop()
	j := output.NewJSONSink(w)
	ev := largeEvent()
	j.Write(ev) // warm-up: the encoder's first use
	w.Flush()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	if err := j.Write(ev); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	runtime.ReadMemStats(&b)
	w.close()
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(dst.buf.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != lines[1] || !json.Valid([]byte(lines[1])) || !strings.Contains(lines[1], `"args":["xxx`) {
		t.Fatalf("%d lines, want two equal valid ones", len(lines))
	}
	line := len(lines[1]) + 1
	if got := b.TotalAlloc - a.TotalAlloc; got > uint64(line)*5/4 {
		t.Errorf("%d bytes allocated for a %d-byte line, want at most 1.25× (one buffer, no copy)", got, line)
	}
}

// BenchmarkLargeLine is a 1 MB event through the --json encoder and the
// output queue.
func BenchmarkLargeLine(b *testing.B) {
	w := newChunkWriter(discardWriter{}, 16, 0, false)
	go w.loop()
	j := output.NewJSONSink(w)
	ev := largeEvent()
	b.ReportAllocs()
	b.SetBytes(int64(len(ev.Args)))
	for b.Loop() {
		j.Write(ev)
		w.Flush()
	}
	b.StopTimer()
	w.close()
	w.wait()
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
