// Package pipeline is the analyzer loop: observations from the proxy go
// through the session Tracker, and the events come out on the bus (for the
// TUI) and on a writer (--no-tui text or --json). A slow writer never slows
// the analyzer: output goes through a bounded queue whose drops are counted
// and reported.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/decode/sio"
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
	// OutQueue caps the chunks of formatted lines (up to 64 KiB each)
	// waiting for the output. Default 1024.
	OutQueue int
	// OutErr, if set, is called once, from the writer goroutine, with the
	// first error writing Out (a full disk, a closed pipe), so the user can
	// be told while the traffic goes on. Later lines are discarded; Run
	// still returns the error.
	OutErr func(error)
	// Binary is how the writer shows binary attachments in args when it
	// is the only consumer (Events nil); the TUI keeps the bytes for its
	// detail view whatever this says. Default sio.BinaryFull.
	Binary sio.BinaryStyle
	// Lossless makes the analyzer wait for room in the writer's queue
	// instead of dropping events. For replays, which have no live traffic
	// to protect and must print every event however fast they play; a
	// live proxy leaves it false so that a slow terminal never slows it.
	Lossless bool
	// TrimEvents, if positive, is how many bytes of args, data, wire bytes
	// and attachments each event keeps on its way to Events (the terminal
	// UI's memory budget, see event.Event.Trim). Out always gets whole
	// events.
	TrimEvents int
	// Trimmed, if set, counts the events Events received trimmed.
	Trimmed *atomic.Uint64
	// Filter, if set, rewrites each observation before it is decoded
	// (--redact masks secrets in what is printed and shown).
	Filter func(obs.Obs) obs.Obs
	// OutBytes bounds the formatted bytes waiting for Out. Default 64 MiB;
	// at most losslessOutBytes when Lossless.
	OutBytes int64
	// Observe, if set, sees every event (and the output's drop reports)
	// on the analyzer goroutine, before the ring and the writer; it must
	// not keep ev. The stats collector hooks in here.
	Observe func(ev *event.Event)
	// OnTick, if set, is called on every tick with Now, on the analyzer
	// goroutine, so time-based views move on when the traffic stops.
	OnTick func(now time.Time)
	// Abandon, once closed, makes Run stop waiting for an output that is
	// not being read (stdout piped to a stuck program): it returns an
	// *UnwrittenError counting the lines that never got out. The writer
	// goroutine stays blocked in its write; the process is about to end.
	Abandon <-chan struct{}
}

// UnwrittenError is Run's error when it gave up on a blocked output.
type UnwrittenError struct {
	Lines uint64 // lines formatted but never written
}

func (e *UnwrittenError) Error() string {
	return fmt.Sprintf("output not read: %d lines were not written", e.Lines)
}

// losslessOutBytes is the output queue of a lossless run: enough whole
// chunks to keep the output busy.
const losslessOutBytes = 4 << 20

// maxBatch bounds how many queued observations are handled in one go
// before the loop looks at its ticker and context again.
const maxBatch = 256

// yieldEvery is how many observations of a batch the analyzer handles
// before it yields the processor. A 20 ms pause (coalesceDelay) gathers
// hundreds of observations, a millisecond or more of work; sioproxy runs
// on one P by default, so without yielding, relay goroutines woken by
// the network would wait for all of it.
const yieldEvery = 32

// coalesceDelay is how long the analyzer lets work pile up after it
// emptied its queue. Waking a sleeping goroutine costs a futex call and a
// trip through the scheduler, and each wake-up starts the analyzer's code
// and data cold in caches the relay's system calls just went through: on
// ws-small a live profile put the analyzer at 2.5 times its in-process
// cost per message with a 1 ms pause (batches of about 16 messages). At
// a fixed 8,000 messages/s, sioproxy's CPU per message relative to the
// node server's fell by about 4% with 5 ms, 7% with 10 ms and 10% with
// 20 ms. 20 ms is still invisible on screen (the TUI draws every 100 ms)
// and in a file (which waits up to flushDelay anyway); the queue holds
// 20 ms of traffic easily, and the relay never waits for the analyzer.
const coalesceDelay = 20 * time.Millisecond

// losslessCoalesceDelay is the pause of a lossless run (a replay): its
// feeder keeps at most 4096 observations in flight and then waits, so a
// long pause would idle the reader too; throughput matters there, not
// wake-ups.
const losslessCoalesceDelay = time.Millisecond

// coalesce pauses a consumer that just emptied its queue. A consumer whose
// queue is not empty (a replay pushing as fast as it can) never pauses.
func (a *analyzer) coalesce() {
	if a.cfg.Lossless {
		time.Sleep(losslessCoalesceDelay)
		return
	}
	time.Sleep(coalesceDelay)
}

// Run analyzes until In is closed or ctx is done.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = 250 * time.Millisecond
	}
	if cfg.OutQueue <= 0 {
		cfg.OutQueue = 1024
	}
	if cfg.Lossless && (cfg.OutBytes <= 0 || cfg.OutBytes > losslessOutBytes) {
		// A lossless run waits for its output rather than dropping: a
		// deep queue in front of a slower reader would only hold memory
		// (a 1 GB replay's RSS climbed to 180 MiB with 64 MiB).
		cfg.OutBytes = losslessOutBytes
	}
	tr := cfg.Tracker
	if tr == nil {
		tr = session.NewTracker(cfg.Session)
	}
	if cfg.Events == nil {
		// Only the writer gets events, and it drops the wire bytes anyway.
		tr.OmitBinaryRaw()
		tr.SetBinaryStyle(cfg.Binary)
	}
	a := &analyzer{cfg: cfg, tr: tr, done: ctx.Done()}
	a.emitFn = a.emit
	if cfg.Out != nil {
		a.w = newChunkWriter(cfg.Out, cfg.OutQueue, cfg.OutBytes, cfg.Lossless)
		a.w.onErr = cfg.OutErr
		a.w.abandon = cfg.Abandon
		if cfg.Format == "json" {
			a.out = output.NewJSONSink(a.w)
		} else {
			a.out = output.NewTextSink(a.w, cfg.Color)
		}
		if cfg.Lossless {
			a.fmt = newFormatter(a.out)
			a.out = a.fmt
			go a.fmt.loop()
		}
		go a.w.loop()
	}
	err := a.loop(ctx)
	if a.fmt != nil {
		// Once abandoned, the chunk writer drops instead of waiting, so
		// the formatter always finishes.
		a.fmt.close()
		<-a.fmt.done
		a.werr = a.fmt.err
	}
	if a.w != nil {
		a.w.close()
		select {
		case <-a.w.done:
		case <-cfg.Abandon:
			if werr := a.w.failed.Load(); werr != nil {
				return *werr // told already; the lines went nowhere anyway
			}
			return &UnwrittenError{Lines: a.w.unwritten()}
		}
		if werr := a.w.wait(); err == nil {
			err = werr
		}
		if err == nil {
			err = a.werr
		}
	}
	return err
}

// analyzer owns the Tracker; only its loop goroutine touches it (besides
// Sessions, which the Tracker locks).
type analyzer struct {
	cfg         Config
	tr          *session.Tracker
	emitFn      func(event.Event)
	seenDropped uint64

	// Output, when Config.Out is set: the analyzer formats each event
	// into w, whose goroutine writes it out.
	out         output.Writer
	w           *chunkWriter
	fmt         *formatter // lossless runs: out formats on its own goroutine
	werr        error      // first formatting error
	seenOutDrop uint64     // output line drops already reported
	flushAt     *time.Timer
	flushArmed  bool
	// cur holds the event being formatted, so passing its address to the
	// output.Writer interface does not move every event to the heap.
	cur event.Event
	// observed holds the event Config.Observe is shown, for the same
	// reason.
	observed event.Event
	// done ends a lossless run's waits for the ring's reader.
	done <-chan struct{}
}

// catchUp observes what is queued at this moment (not what arrives while
// it runs, so a tick is never starved); false when the queue was closed.
func (a *analyzer) catchUp(in <-chan obs.Obs) bool {
	for n := len(in); n > 0; n-- {
		o, ok := <-in
		if !ok {
			return false
		}
		// Through observe, like every other path: Filter is --redact, and
		// a tick that caught up on the tracker directly printed CONNECT
		// auth in clear (seen once the analyzer paused 20 ms and ticks
		// found observations waiting).
		a.observe(o)
	}
	return true
}

// loop is the analyzer goroutine's body.
func (a *analyzer) loop(ctx context.Context) error {
	ticker := time.NewTicker(a.cfg.TickEvery)
	defer ticker.Stop()
	a.flushAt = time.NewTimer(time.Hour)
	a.flushAt.Stop()
	defer a.flushAt.Stop()
	in := a.cfg.In.C()
	for {
		select {
		case o, ok := <-in:
			if !ok {
				a.finish()
				return nil
			}
			a.observe(o)
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
				a.observe(o)
				if n%yieldEvery == 0 {
					// Let relay goroutines that became runnable meanwhile
					// have the P: with GOMAXPROCS 1 a whole batch would
					// otherwise hold their messages back.
					runtime.Gosched()
				}
			}
			a.checkDrops()
			a.armFlush()
			if drained {
				a.coalesce()
			}
		case <-ticker.C:
			// Timers judge silence (an unanswered probe, a missing pong).
			// When the analyzer lags, the answer may already wait in the
			// queue: catch up on what was queued before the tick, or a
			// busy machine raises false alarms.
			if !a.catchUp(in) {
				a.finish()
				return nil
			}
			now := a.cfg.Now()
			a.tr.Tick(now, a.emitFn)
			if a.cfg.OnTick != nil {
				a.cfg.OnTick(now)
			}
			a.checkDrops()
			a.armFlush()
		case <-a.flushAt.C:
			a.flushArmed = false
			a.flush()
		case <-ctx.Done():
			// Drain what the proxy already queued so its tail is not lost.
		drain:
			for {
				select {
				case o, ok := <-in:
					if !ok {
						break drain
					}
					a.observe(o)
				default:
					break drain
				}
			}
			a.finish()
			return nil
		}
	}
}

func (a *analyzer) observe(o obs.Obs) {
	if a.cfg.Filter != nil {
		o = a.cfg.Filter(o)
	}
	a.tr.Observe(o, a.emitFn)
}

func (a *analyzer) finish() {
	a.checkDrops()
	a.flush()
}

// checkDrops reports observations the input queue lost since last time,
// and lines the output lost.
func (a *analyzer) checkDrops() {
	if d := a.cfg.In.Dropped(); d > a.seenDropped {
		a.emit(event.Event{TS: a.cfg.Now(), Kind: event.KindDrop, Dropped: d - a.seenDropped, Where: "observations"})
		a.seenDropped = d
	}
	if d := a.outDropped(); d > a.seenOutDrop {
		// Only in the output, where the lines went missing; the TUI's
		// ring lost nothing.
		ev := event.Event{TS: a.cfg.Now(), Kind: event.KindDrop, Dropped: d - a.seenOutDrop, Where: "output"}
		if a.cfg.Observe != nil {
			a.cfg.Observe(&ev)
		}
		a.write(ev)
		a.seenOutDrop = d
	}
}

// publish puts ev in the ring; a lossless run (a replay into the UI)
// waits for the UI to take what ev would push out, so a replay played as
// fast as possible loses no packet from the view: it runs at the UI's pace.
func (a *analyzer) publish(r *bus.Ring[event.Event], ev event.Event) {
	if a.cfg.Lossless {
		r.PublishWait(a.done, ev)
		return
	}
	r.Publish(ev)
}

func (a *analyzer) outDropped() uint64 {
	if a.w == nil {
		return 0
	}
	return a.w.dropped.Load()
}

// armFlush schedules handing over formatted lines flushDelay from now,
// unless that is already scheduled.
func (a *analyzer) armFlush() {
	if a.w != nil && !a.flushArmed && a.pending() {
		a.flushArmed = true
		a.flushAt.Reset(flushDelay)
	}
}

// pending says whether formatted lines, or events to format, wait for a
// flush.
func (a *analyzer) pending() bool {
	if a.fmt != nil {
		return a.fmt.pending()
	}
	return a.w.pending()
}

func (a *analyzer) flush() {
	if a.out != nil {
		a.out.Flush()
	}
}

// write formats ev into the output.
func (a *analyzer) write(ev event.Event) {
	a.cur = ev
	if err := a.out.Write(&a.cur); err != nil && a.werr == nil {
		a.werr = err
	}
	a.cur = event.Event{} // drop references to the event's data
}

func (a *analyzer) emit(ev event.Event) {
	if a.cfg.Observe != nil {
		// Through a field: &ev would move every event to the heap, set
		// or not (1.4 KB and a third of the analyzer's CPU per polling
		// observation).
		a.observed = ev
		a.cfg.Observe(&a.observed)
		ev = a.observed
		a.observed = event.Event{}
	}
	if r := a.cfg.Events; r != nil {
		// The pipeline is the ring's only publisher, so the next sequence
		// number is known before publishing.
		ev.Seq = r.Last() + 1
		if a.cfg.TrimEvents > 0 {
			// A copy: the output below gets the whole event.
			small := ev
			if small.Trim(a.cfg.TrimEvents) > 0 && a.cfg.Trimmed != nil {
				a.cfg.Trimmed.Add(1)
			}
			a.publish(r, small)
		} else {
			a.publish(r, ev)
		}
	}
	if a.out != nil {
		a.write(ev)
	}
}
