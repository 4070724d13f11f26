// Package output writes events for people and programs: one JSON line per
// event (--json) or one human line per event (--no-tui). Writers buffer and
// the caller flushes once per batch, so a burst of packets costs one write
// system call rather than one per line.
package output

import "github.com/sioproxy/sioproxy/internal/event"

// Writer is what the pipeline drives: Write buffers one event, Flush pushes
// the batch to the underlying io.Writer.
type Writer interface {
	Write(ev *event.Event) error
	Flush() error
}

// LineSink is where a Writer puts its lines: each event's output arrives
// in exactly one Write call, so a sink can move or drop whole lines, and
// Flush ends a batch. A *bufio.Writer is one.
type LineSink interface {
	Write(p []byte) (int, error)
	Flush() error
}

// LineTaker is a LineSink that can keep a line's buffer instead of
// copying it: a writer hands over a line it will not reuse (a large one),
// so a 1 MB event is not copied once more on its way out.
type LineTaker interface {
	LineSink
	// TakeLine is Write, except that the sink owns p from then on.
	TakeLine(p []byte)
}

// Interface guards.
var (
	_ Writer = (*JSON)(nil)
	_ Writer = (*Text)(nil)
)
