package recordings

import (
	"context"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// FlushEvery is how often a Recorder pushes buffered lines to the file, so a
// kill loses at most this much traffic.
const FlushEvery = 200 * time.Millisecond

// Recorder drains a queue of observations into a Writer on its own
// goroutine. The queue never blocks the proxy; what it drops is recorded as
// drop lines, so a recording says where it has holes.
type Recorder struct {
	q        *bus.Queue[obs.Obs]
	w        *Writer
	reported uint64 // queue drops already written
	now      func() time.Time
}

// NewRecorder returns a Recorder writing what q delivers to w.
func NewRecorder(q *bus.Queue[obs.Obs], w *Writer) *Recorder {
	return &Recorder{q: q, w: w, now: time.Now}
}

// Run writes observations until the queue is closed or ctx is done, then
// writes what is still queued, flushes and returns. It does not close the
// Writer. It returns the first write error.
func (r *Recorder) Run(ctx context.Context) error {
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case o, ok := <-r.q.C():
			if !ok {
				return r.finish()
			}
			if err := r.w.Write(o); err != nil {
				return err
			}
		case <-t.C:
			if err := r.writeDrops(); err != nil {
				return err
			}
			if err := r.w.Flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			return r.drain()
		}
	}
}

// drain writes what is already queued without waiting for more.
func (r *Recorder) drain() error {
	for {
		select {
		case o, ok := <-r.q.C():
			if !ok {
				return r.finish()
			}
			if err := r.w.Write(o); err != nil {
				return err
			}
		default:
			return r.finish()
		}
	}
}

func (r *Recorder) finish() error {
	if err := r.writeDrops(); err != nil {
		return err
	}
	return r.w.Flush()
}

func (r *Recorder) writeDrops() error {
	n := r.q.Dropped()
	if n <= r.reported {
		return nil
	}
	d := n - r.reported
	r.reported = n
	return r.w.Write(obs.Obs{Kind: obs.KindDrop, Time: r.now(), Drop: &obs.Drop{Count: d, Where: "recorder"}})
}
