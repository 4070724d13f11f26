package pipeline

import (
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/output"
)

// writer moves events from the analyzer to an output.Writer on its own
// goroutine. push never blocks: when the queue is full the event is dropped
// and counted, and the writer reports the loss in the output itself.
type writer struct {
	out  output.Writer
	q    *bus.Queue[event.Event]
	now  func() time.Time
	done chan struct{}

	reported uint64
	err      error // first write error; later events are discarded
	lossless bool  // push waits for room instead of dropping

	// cur holds the event being written, so passing its address to the
	// output.Writer interface does not move every event to the heap.
	cur event.Event
}

// outQueueBytes bounds the bytes of events waiting for the writer: a
// burst of 64 KiB binary packets (args in base64) must not pile up
// without bound behind a slow disk.
const outQueueBytes = 64 << 20

// flushDelay is how long written lines may sit in the buffer once the
// queue ran empty. Flushing after every burst cost a write system call
// per round trip on a busy connection; 10 ms is not noticeable to someone
// tailing the output, and a full buffer is written at once anyway.
const flushDelay = 10 * time.Millisecond

// eventSize approximates the memory a queued event holds.
func eventSize(ev event.Event) int {
	return 512 + len(ev.Args) + len(ev.Data) + len(ev.Raw) + len(ev.Error)
}

func newWriter(out output.Writer, capacity int, now func() time.Time) *writer {
	return &writer{out: out, q: bus.NewQueueBytes(capacity, outQueueBytes, eventSize), now: now, done: make(chan struct{})}
}

func (w *writer) push(ev event.Event) {
	// The analyzer is the queue's only producer, so room seen is room kept;
	// the loop always drains, even after a write error.
	for w.lossless && !w.q.Fits(ev) {
		time.Sleep(100 * time.Microsecond)
	}
	w.q.Push(ev)
}

// close ends the queue; the loop writes what is left and exits.
func (w *writer) close() { w.q.Close() }

// wait blocks until the loop has exited and returns the first write error.
func (w *writer) wait() error {
	<-w.done
	return w.err
}

// loop is the writer goroutine's body: it writes every queued event and
// flushes flushDelay after the first unflushed batch, so a busy stream
// costs a write system call per buffer or per flushDelay, not per event.
func (w *writer) loop() {
	defer close(w.done)
	c := w.q.C()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	pending := false
	for {
		select {
		case ev, ok := <-c:
			if !ok {
				w.reportDrops()
				w.flush()
				return
			}
			w.write(ev)
		batch:
			for {
				select {
				case ev, ok := <-c:
					if !ok {
						break batch
					}
					w.write(ev)
				default:
					break batch
				}
			}
			w.reportDrops()
			if !pending {
				pending = true
				timer.Reset(flushDelay)
			}
			coalesce()
		case <-timer.C:
			pending = false
			w.flush()
		}
	}
}

func (w *writer) write(ev event.Event) {
	if w.err == nil {
		w.cur = ev
		w.err = w.out.Write(&w.cur)
		w.cur = event.Event{} // drop references to the event's data
	}
}

func (w *writer) flush() {
	if w.err == nil {
		w.err = w.out.Flush()
	}
}

func (w *writer) reportDrops() {
	if d := w.q.Dropped(); d > w.reported {
		w.write(event.Event{TS: w.now(), Kind: event.KindDrop, Dropped: d - w.reported, Where: "output"})
		w.reported = d
	}
}
