package pipeline

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
)

// The analyzer formats every line itself, into chunks of whole lines, and
// a writer goroutine only moves finished chunks to the output. Queueing
// formatted bytes instead of events means one queue operation per chunk
// rather than per event, and no 560-byte Event copied through a channel
// for each packet: on small WebSocket messages that was a sixth of the
// decoding's CPU. A slow output still never slows the analyzer: a chunk
// that finds the queue full is dropped, its lines counted and reported.

// chunkSize is how many bytes of lines the analyzer gathers before it
// hands them over; a single longer line travels alone.
const chunkSize = 64 << 10

// outQueueBytes bounds the bytes waiting for the output: a burst of
// 64 KiB binary packets (args in base64) must not pile up without bound
// behind a slow disk.
const outQueueBytes = 64 << 20

// flushDelay is how long formatted lines may wait for more before they are
// handed over once the input ran dry. Writing after every burst cost a
// write system call per round trip on a busy connection; 10 ms is not
// noticeable to someone tailing the output.
const flushDelay = 10 * time.Millisecond

// maxPooledChunk is the largest chunk buffer kept for reuse; a chunk
// grown for one huge line is left to the collector.
const maxPooledChunk = 256 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

func getChunk() []byte { return (*chunkPool.Get().(*[]byte))[:0] }

func putChunk(b []byte) {
	if cap(b) <= maxPooledChunk {
		b = b[:0]
		chunkPool.Put(&b)
	}
}

// chunkWriter is the output.LineSink the analyzer writes to. Write and
// Flush run on the analyzer goroutine only and never block, unless
// lossless; loop runs on the writer goroutine.
type chunkWriter struct {
	dst      io.Writer
	q        *bus.Queue[[]byte]
	cur      []byte // whole lines not handed over yet
	lossless bool   // wait for room instead of dropping (replays)
	// dropped counts lines lost to a full queue; atomic, as a lossless
	// run's formatter goroutine writes here while the analyzer reads.
	dropped atomic.Uint64
	done    chan struct{}
	err     error       // first write error, set by loop; read after done
	onErr   func(error) // told of err at once, on the loop's goroutine
	// abandon, once closed, stops a lossless Flush from waiting for room:
	// the user gave up on an output nobody reads.
	abandon <-chan struct{}
	// queued counts the lines handed to the loop and not yet written.
	queued atomic.Int64
	// failed holds err once set, for Run to read while the loop runs.
	failed atomic.Pointer[error]
}

func newChunkWriter(dst io.Writer, chunks int, maxBytes int64, lossless bool) *chunkWriter {
	size := func(b []byte) int { return len(b) }
	if maxBytes <= 0 {
		maxBytes = outQueueBytes
	}
	return &chunkWriter{dst: dst, q: bus.NewQueueBytes(chunks, maxBytes, size), lossless: lossless, done: make(chan struct{})}
}

// Write takes one event's line(s).
func (w *chunkWriter) Write(p []byte) (int, error) {
	if len(w.cur) > 0 && len(w.cur)+len(p) > chunkSize {
		w.Flush()
	}
	if w.cur == nil {
		w.cur = getChunk()
	}
	w.cur = append(w.cur, p...)
	if len(w.cur) >= chunkSize {
		w.Flush()
	}
	return len(p), nil
}

// TakeLine is Write for a line the caller lets go of: it travels as a
// chunk of its own, without a copy.
func (w *chunkWriter) TakeLine(p []byte) {
	w.Flush()
	w.cur = p
	w.Flush()
}

// Flush hands the gathered lines to the writer goroutine.
func (w *chunkWriter) Flush() error {
	if len(w.cur) == 0 {
		return nil
	}
	c := w.cur
	w.cur = nil
	// The analyzer is the queue's only producer, so room seen is room
	// kept; the loop always drains, even after a write error.
	for w.lossless && !w.q.Fits(c) && !w.abandoned() {
		time.Sleep(100 * time.Microsecond)
	}
	n := int64(bytes.Count(c, []byte{'\n'}))
	w.queued.Add(n)
	if !w.q.Push(c) {
		w.queued.Add(-n)
		w.dropped.Add(uint64(bytes.Count(c, []byte{'\n'})))
		putChunk(c)
	}
	return nil
}

func (w *chunkWriter) abandoned() bool {
	select {
	case <-w.abandon:
		return true
	default:
		return false
	}
}

// unwritten is how many lines never reached the output: still queued or
// being written, or dropped from a full queue.
func (w *chunkWriter) unwritten() uint64 { return uint64(max(0, w.queued.Load())) + w.dropped.Load() }

// pending says whether lines wait for a Flush.
func (w *chunkWriter) pending() bool { return len(w.cur) > 0 }

// close ends the queue after the last Flush; the loop writes what is left
// and exits.
func (w *chunkWriter) close() { w.q.Close() }

// wait blocks until the loop has exited and returns the first write error.
func (w *chunkWriter) wait() error {
	<-w.done
	return w.err
}

// loop is the writer goroutine's body: one write per chunk. After an
// error it keeps draining so the analyzer never waits on a dead output.
func (w *chunkWriter) loop() {
	defer close(w.done)
	for c := range w.q.C() {
		if w.err == nil {
			if _, w.err = w.dst.Write(c); w.err != nil {
				w.failed.Store(&w.err)
				if w.onErr != nil {
					w.onErr(w.err)
				}
			}
		}
		if w.err == nil {
			w.queued.Add(-int64(bytes.Count(c, []byte{'\n'})))
		}
		putChunk(c)
	}
}
