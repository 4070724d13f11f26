// Package pipeline is the analyzer loop: observations from the proxy go
// through the session Tracker, and the events come out on the bus (for the
// TUI) and on a writer (--no-tui text or --json). A slow writer never slows
// the analyzer: output goes through a bounded queue whose drops are counted
// and reported.
package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/output"
)

// Config wires a pipeline.
type Config struct {
	// In carries the proxy's observations. Run returns once it is closed
	// and drained, or once ctx is done (after draining what is buffered).
	In *bus.Queue[obs.Obs]
	// Events, if set, receives every event (never blocks; the TUI pulls).
	Events *bus.Ring[event.Event]
	// Out, if set, receives one line per event in Format.
	Out io.Writer
	// Format is "json" for JSON Lines, "text" or "" for human lines.
	Format string
	// Color turns on ANSI colors in the text format.
	Color bool
	// Now is the clock for Tick; default time.Now.
	Now func() time.Time
	// Tracker is used if set (so the TUI can call Sessions on it);
	// otherwise one is built from Session.
	Tracker *session.Tracker
	Session session.Options
	// TickEvery is how often timers run. Default 250 ms.
	TickEvery time.Duration
	// OutQueue caps the events waiting for the writer. Default 8192.
	OutQueue int
	// Lossless makes the analyzer wait for room in the writer's queue
	// instead of dropping events. For replays, which have no live traffic
	// to protect and must print every event however fast they play; a
	// live proxy leaves it false so that a slow terminal never slows it.
	Lossless bool
}

// maxBatch bounds how many queued observations are handled in one go
// before the loop looks at its ticker and context again.
const maxBatch = 256

// coalesceDelay is how long the analyzer and the writer let work pile up
// after they emptied their queue. Waking a sleeping goroutine costs a
// futex call and a trip through the scheduler; without the pause every
// message the proxy pushed woke the analyzer (and each event the writer),
// tens of thousands of times a second under load. A millisecond is
// invisible on screen and in the file, and the relay never waits for
// either goroutine.
const coalesceDelay = time.Millisecond

// coalesce pauses a consumer that just emptied its queue. A consumer whose
// queue is not empty (a replay pushing as fast as it can) never pauses.
func coalesce() { time.Sleep(coalesceDelay) }

// Run analyzes until In is closed or ctx is done.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = 250 * time.Millisecond
	}
	if cfg.OutQueue <= 0 {
		cfg.OutQueue = 8192
	}
	tr := cfg.Tracker
	if tr == nil {
		tr = session.NewTracker(cfg.Session)
	}
	if cfg.Events == nil {
		// Only the writer gets events, and it drops the wire bytes anyway.
		tr.OmitBinaryRaw()
	}
	a := &analyzer{cfg: cfg, tr: tr}
	a.emitFn = a.emit
	var w *writer
	if cfg.Out != nil {
		var ow output.Writer
		if cfg.Format == "json" {
			ow = output.NewJSON(cfg.Out)
		} else {
			ow = output.NewText(cfg.Out, cfg.Color)
		}
		w = newWriter(ow, cfg.OutQueue, cfg.Now)
		w.lossless = cfg.Lossless
		a.w = w
		go w.loop()
	}
	err := a.loop(ctx)
	if w != nil {
		w.close()
		if werr := w.wait(); err == nil {
			err = werr
		}
	}
	return err
}

// analyzer owns the Tracker; only its loop goroutine touches it (besides
// Sessions, which the Tracker locks).
type analyzer struct {
	cfg         Config
	tr          *session.Tracker
	w           *writer
	emitFn      func(event.Event)
	seenDropped uint64
}

// loop is the analyzer goroutine's body.
func (a *analyzer) loop(ctx context.Context) error {
	ticker := time.NewTicker(a.cfg.TickEvery)
	defer ticker.Stop()
	in := a.cfg.In.C()
	for {
		select {
		case o, ok := <-in:
			if !ok {
				a.finish()
				return nil
			}
			a.tr.Observe(o, a.emitFn)
			// Take what else is already queued, then flush once.
			drained := false
			for n := 1; n < maxBatch && !drained; n++ {
				select {
				case o, ok = <-in:
				default:
					drained = true
					continue
				}
				if !ok {
					a.finish()
					return nil
				}
				a.tr.Observe(o, a.emitFn)
			}
			a.checkDrops()
			if drained {
				coalesce()
			}
		case <-ticker.C:
			a.tr.Tick(a.cfg.Now(), a.emitFn)
			a.checkDrops()
		case <-ctx.Done():
			// Drain what the proxy already queued so its tail is not lost.
		drain:
			for {
				select {
				case o, ok := <-in:
					if !ok {
						break drain
					}
					a.tr.Observe(o, a.emitFn)
				default:
					break drain
				}
			}
			a.finish()
			return nil
		}
	}
}

func (a *analyzer) finish() { a.checkDrops() }

// checkDrops reports observations the input queue lost since last time.
func (a *analyzer) checkDrops() {
	if d := a.cfg.In.Dropped(); d > a.seenDropped {
		a.emit(event.Event{TS: a.cfg.Now(), Kind: event.KindDrop, Dropped: d - a.seenDropped, Where: "observations"})
		a.seenDropped = d
	}
}

func (a *analyzer) emit(ev event.Event) {
	if r := a.cfg.Events; r != nil {
		// The pipeline is the ring's only publisher, so the next sequence
		// number is known before publishing.
		ev.Seq = r.Last() + 1
		r.Publish(ev)
	}
	if a.w != nil {
		// Writers print neither the wire bytes nor the attachments
		// (args carry them in base64); the queue need not hold them.
		ev.Raw, ev.Buffers = nil, nil
		a.w.push(ev)
	}
}
