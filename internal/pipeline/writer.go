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
}

func newWriter(out output.Writer, capacity int, now func() time.Time) *writer {
	return &writer{out: out, q: bus.NewQueue[event.Event](capacity), now: now, done: make(chan struct{})}
}

func (w *writer) push(ev event.Event) { w.q.Push(ev) }

// close ends the queue; the loop writes what is left and exits.
func (w *writer) close() { w.q.Close() }

// wait blocks until the loop has exited and returns the first write error.
func (w *writer) wait() error {
	<-w.done
	return w.err
}

// loop is the writer goroutine's body: it writes every queued event and
// flushes whenever the queue runs empty, so a burst is one write call.
func (w *writer) loop() {
	defer close(w.done)
	c := w.q.C()
	for ev := range c {
		w.write(&ev)
	batch:
		for {
			select {
			case ev, ok := <-c:
				if !ok {
					break batch
				}
				w.write(&ev)
			default:
				break batch
			}
		}
		w.reportDrops()
		w.flush()
	}
	w.reportDrops()
	w.flush()
}

func (w *writer) write(ev *event.Event) {
	if w.err == nil {
		w.err = w.out.Write(ev)
	}
}

func (w *writer) flush() {
	if w.err == nil {
		w.err = w.out.Flush()
	}
}

func (w *writer) reportDrops() {
	if d := w.q.Dropped(); d > w.reported {
		w.write(&event.Event{TS: w.now(), Kind: event.KindDrop, Dropped: d - w.reported, Where: "output"})
		w.reported = d
	}
}
