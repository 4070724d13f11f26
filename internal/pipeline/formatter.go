package pipeline

import (
	"sync/atomic"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/output"
)

// A lossless run (a replay) has no live traffic whose analyzer must stay
// light, but it must go as fast as its slowest stage: formatting the
// --json or text lines was a quarter of the analyzer goroutine's work. So
// there the analyzer hands whole events over in batches and a formatter
// goroutine turns them into lines for the chunk writer: decoding and
// formatting run on two cores. A live proxy keeps formatting on the
// analyzer, where a slow output drops whole chunks of finished lines.

// Batches close at fmtBatchEvents events or fmtBatchBytes of the data
// they reference, and at most fmtQueue of them wait, so the events in
// flight stay bounded in count and in memory.
const (
	fmtBatchEvents = 128
	fmtBatchBytes  = 1 << 20
	fmtQueue       = 8
)

// formatter is the output.Writer the analyzer drives in a lossless run.
// Write and Flush run on the analyzer goroutine, loop on its own.
type formatter struct {
	out output.Writer // the real one, over the chunk writer; loop only

	batch      []event.Event
	batchBytes int
	unflushed  bool // batches went out since the last Flush

	q    chan fmtBatch
	free chan []event.Event
	done chan struct{}
	err  error // first formatting error, set by loop; read after done
	// inflight counts the events handed to loop and not yet formatted.
	inflight atomic.Int64
}

type fmtBatch struct {
	evs   []event.Event
	flush bool // flush the output after these
}

func newFormatter(out output.Writer) *formatter {
	return &formatter{out: out, q: make(chan fmtBatch, fmtQueue), free: make(chan []event.Event, fmtQueue+2), done: make(chan struct{})}
}

// Write takes a copy of ev; the events hold only data that is never
// changed once emitted (the terminal UI's ring keeps them the same way).
func (f *formatter) Write(ev *event.Event) error {
	if f.batch == nil {
		select {
		case b := <-f.free:
			f.batch = b
		default:
			f.batch = make([]event.Event, 0, fmtBatchEvents)
		}
	}
	f.batch = append(f.batch, *ev)
	f.batchBytes += eventBytes(ev)
	if len(f.batch) >= fmtBatchEvents || f.batchBytes >= fmtBatchBytes {
		f.send(false)
	}
	return nil
}

// eventBytes approximates the memory an event holds on to.
func eventBytes(ev *event.Event) int {
	n := 1024 + len(ev.Args) + len(ev.Data) + len(ev.Raw) + len(ev.Path)
	for _, b := range ev.Buffers {
		n += len(b)
	}
	return n
}

// Flush has the formatter flush the output once it has formatted what was
// written so far.
func (f *formatter) Flush() error {
	if len(f.batch) > 0 || f.unflushed {
		f.send(true)
	}
	return nil
}

// send hands the current batch over, waiting for room: the formatter
// always makes progress, since the chunk writer under it stops waiting
// for the output once the run is abandoned.
func (f *formatter) send(flush bool) {
	f.inflight.Add(int64(len(f.batch)))
	f.q <- fmtBatch{evs: f.batch, flush: flush}
	f.batch, f.batchBytes = nil, 0
	f.unflushed = !flush
}

// pending says whether events wait for a Flush.
func (f *formatter) pending() bool { return len(f.batch) > 0 || f.unflushed }

// close sends what is left, flushed, and ends the loop; wait for done.
func (f *formatter) close() {
	f.Flush()
	close(f.q)
}

// loop is the formatter goroutine's body.
func (f *formatter) loop() {
	defer close(f.done)
	for b := range f.q {
		for i := range b.evs {
			if err := f.out.Write(&b.evs[i]); err != nil && f.err == nil {
				f.err = err
			}
		}
		if b.flush {
			f.out.Flush()
		}
		f.inflight.Add(-int64(len(b.evs)))
		clear(b.evs) // let the events' data go
		select {
		case f.free <- b.evs[:0]:
		default:
		}
	}
}
