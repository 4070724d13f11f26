package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/exchanges"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/metrics"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/pipeline"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
	"github.com/sioproxy/sioproxy/recordings"
	"github.com/sioproxy/sioproxy/stats"
	"github.com/sioproxy/sioproxy/tui"
)

// Queue and ring sizes. Each bounds memory and counts what it drops.
// They are bounded by bytes too, by their share of --mem-budget
// (membudget.Budget): 64Ki queued 64 KiB WebSocket messages would
// otherwise hold 4 GiB.
const (
	recQueueSize   = 1 << 16
	cacheQueueSize = 1 << 14
	eventRingSize  = 1 << 14 // two ticks of the UI's largest pull (tui.Options.BatchMax)
)

func obsSize(o obs.Obs) int { return o.Size() }

// runtime is what every mode shares once observations exist: the analyzer
// pipeline, the optional recorder, and either the terminal UI (with its
// observation cache) or the headless writer on stdout.
type runtime struct {
	cfg     config
	recFail atomic.Pointer[string] // why the recorder stopped early
	useTUI  bool
	in      *bus.Queue[obs.Obs]
	rec     *bus.Queue[obs.Obs]
	recW    *recordings.Writer
	cacheQ  *bus.Queue[obs.Obs]
	cache   *exchanges.Cache
	ring    *bus.Ring[event.Event]
	tracker *session.Tracker
	faults  *inject.Set // --inject rules, toggled by the UI's "!" menu; nil outside the proxy modes

	budget membudget.Budget
	wsPool *membudget.Pool // WebSocket reassembly, all connections
	// conns counts the proxy's open connections, for the memory limit
	// (memlimit.go); nil when no proxy runs (replay).
	conns   func() int64
	trimmed atomic.Uint64 // events the UI got trimmed
	// stats feeds the TUI's stats pane and --metrics; nil when neither runs.
	stats   *stats.Collector
	metrics *metrics.Server
	// intercept drives breakpoints from the TUI (nil without an active layer).
	intercept tui.Interceptor
	// engine is the active layer, told each session's parser (nil without one).
	engine *active.Engine
}

// uiInfo is what the status bar shows about the mode.
type uiInfo struct {
	Title, Listen, Target string
	// Progress reports replay progress; nil outside replay.
	Progress func() (done, total int)
	// Replay only: Clock is the analyzer's clock (recorded time, so that
	// timeouts fire as they did live, not at once), TogglePause is bound to
	// the UI's space key.
	Clock       func() time.Time
	TogglePause func() bool
	// Lossless: the headless output waits instead of dropping (replay).
	Lossless bool
	// StartCheck is the targets' start-up check, for the status bar.
	StartCheck []tui.UpstreamCheck
}

func newRuntime(cfg config, stdout *os.File, hdr recordings.Header) (*runtime, error) {
	b := cfg.budget()
	applyMemoryLimit(b, os.Getenv)
	r := &runtime{
		cfg:    cfg,
		useTUI: !cfg.NoTUI && isTerminal(stdout),
		in:     bus.NewQueueBytes(obsQueueSize, b.ObsQueue(), obsSize),
		budget: b,
		wsPool: membudget.NewPool(b.Reassembly()),
	}
	r.tracker = session.NewTracker(sessionOptions(cfg))
	if cfg.Record != "" {
		w, err := recordings.Create(cfg.Record, hdr, cfg.Redact)
		if err != nil {
			return nil, fmt.Errorf("--record %s: %w", cfg.Record, err)
		}
		r.recW = w
		if cfg.Redact {
			w.SetRedactor(recordings.NewRedactor(cfg.RedactParams))
		}
		r.rec = bus.NewQueueBytes(recQueueSize, b.RecQueue(), obsSize)
	}
	if r.useTUI {
		r.ring = eventRing(b)
		r.cache = exchanges.NewBytes(0, b.Cache())
		if cfg.Redact {
			r.cache.Filter = recordings.NewRedactor(cfg.RedactParams).Redact
		}
		r.cacheQ = bus.NewQueueBytes(cacheQueueSize, b.CacheQueue(), obsSize)
	}
	if r.useTUI || cfg.Metrics != "" {
		r.stats = stats.New(stats.Options{})
	}
	return r, nil
}

// sinks are the queues a source pushes every observation to.
func (r *runtime) sinks() []*bus.Queue[obs.Obs] {
	s := []*bus.Queue[obs.Obs]{r.in}
	if r.rec != nil {
		s = append(s, r.rec)
	}
	if r.cacheQ != nil {
		s = append(s, r.cacheQ)
	}
	return s
}

// run consumes observations until the user quits the UI, ctx ends, or
// sourceDone fires (a replay reached its end). Then it calls stop, after
// which the source must push nothing more, closes the queues and waits for
// the consumers to drain them, so nothing observed is lost.
func (r *runtime) run(ctx context.Context, ui uiInfo, sourceDone <-chan error, stop func(), stdout *os.File, stderr io.Writer) error {
	var wg sync.WaitGroup
	var pipeErr, recErr error
	pcfg := pipeline.Config{In: r.in, Events: r.ring, Tracker: r.tracker, Now: ui.Clock, Lossless: ui.Lossless,
		OutBytes: r.budget.Output(), Abandon: forceFrom(ctx)}
	if r.cfg.Redact {
		// What is printed or shown is masked as the recording is.
		pcfg.Filter = recordings.NewRedactor(r.cfg.RedactParams).Redact
	}
	if r.ring != nil {
		pcfg.TrimEvents, pcfg.Trimmed = r.budget.PerEvent(), &r.trimmed
	}
	if r.stats != nil {
		pcfg.Observe, pcfg.OnTick = r.stats.Observe, r.stats.Advance
	}
	pcfg.Observe = parserHints(r.engine, pcfg.Observe) // control.go
	if r.metrics != nil {
		defer r.metrics.Close()
	}
	pacer := startPacer(r.budget, os.Getenv)
	if pacer != nil {
		defer pacer.Stop()
	}
	if !r.useTUI {
		pcfg.Out = stdout
		pcfg.Format = "text"
		if r.cfg.JSON {
			pcfg.Format = "json"
		}
		pcfg.Color = isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
		pcfg.Binary = r.cfg.Binary
		pcfg.OutErr = func(err error) {
			fmt.Fprintf(stderr, "sioproxy: output stopped: %v (traffic is still relayed)\n", err)
		}
	}
	if set := limitSetter(pacer, os.Getenv); set != nil && r.conns != nil {
		lctx, stopLimit := context.WithCancel(context.Background())
		defer stopLimit()
		go followConns(lctx, r.budget, r.conns, set, limitEvery)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		pipeErr = pipeline.Run(context.Background(), pcfg)
	}()
	if r.rec != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recErr = r.record(stderr)
		}()
	}
	if r.cacheQ != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.cache.Run(context.Background(), r.cacheQ)
		}()
	}

	var srcErr error
	if r.useTUI {
		uctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case srcErr = <-sourceDone:
				// A finished replay stays on screen until the user quits.
			case <-uctx.Done():
			}
		}()
		if n := viewNote(r.cfg.View, r.budget); n != "" {
			fmt.Fprintln(stderr, n)
		}
		err := tui.Run(uctx, r.tuiOptions(ui))
		cancel()
		// A replay's analyzer waits for the UI to take each event; with
		// the UI gone it must drain without waiting, or quitting hangs.
		r.ring.ReaderGone()
		if err != nil {
			fmt.Fprintf(stderr, "sioproxy: terminal UI: %v\n", err)
		}
	} else {
		select {
		case <-ctx.Done():
		case srcErr = <-sourceDone:
		}
	}
	stop()
	r.in.Close()
	if r.rec != nil {
		r.rec.Close()
	}
	if r.cacheQ != nil {
		r.cacheQ.Close()
	}
	waitOutput(&wg, pcfg.Out != nil, stderr)
	if r.recW != nil {
		if err := r.recW.Close(); err != nil && recErr == nil {
			recErr = err
		}
	}
	if r.rec != nil && recErr == nil {
		if n := r.rec.Dropped(); n > 0 {
			fmt.Fprintf(stderr, "sioproxy: the recording missed %d observations while the disk fell behind; drop lines in %s mark where\n", n, r.cfg.Record)
		}
	}
	for _, err := range []error{srcErr, pipeErr, recErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

// record runs the recorder. A write error (a full disk, a removed
// directory) stops the recording, not the proxy: the user is told at once,
// on stderr or in the status bar, and the queue is then drained and
// discarded so it holds no memory while the traffic goes on.
func (r *runtime) record(stderr io.Writer) error {
	err := recordings.NewRecorder(r.rec, r.recW).Run(context.Background())
	if err == nil {
		return nil
	}
	msg := err.Error()
	r.recFail.Store(&msg)
	if !r.useTUI {
		fmt.Fprintf(stderr, "sioproxy: --record stopped: %v (traffic is still relayed)\n", err)
	}
	for range r.rec.C() {
	}
	return fmt.Errorf("--record: %w", err)
}

func (r *runtime) tuiOptions(ui uiInfo) tui.Options {
	stats := func() tui.Stats {
		s := tui.Stats{ObsDrops: r.in.Dropped(), Recording: r.recW != nil, RecordPath: r.cfg.Record}
		if r.rec != nil {
			s.RecordDrops = r.rec.Dropped()
		}
		if r.cacheQ != nil {
			s.DetailDrops = r.cacheQ.Dropped() + r.cache.Trimmed()
		}
		s.Trimmed = r.trimmed.Load()
		if e := r.recFail.Load(); e != nil {
			s.RecordErr = *e
		}
		if ui.Progress != nil {
			s.ReplayDone, s.ReplayTotal = ui.Progress()
		}
		return s
	}
	src := &uiSource{BusSource: tui.NewBusSource(r.ring, r.sessions, stats), cache: r.cache, stats: r.stats, faults: r.faults}
	return tui.Options{
		Source:    replaySource(src, ui.TogglePause),
		Capacity:  r.cfg.View,
		MaxBytes:  r.budget.View(),
		Title:     ui.Title,
		Listen:    ui.Listen,
		Target:    ui.Target,
		NoColor:   os.Getenv("NO_COLOR") != "",
		SaveView:  r.saveView,
		Intercept: r.intercept,
		// A replay's packets carry recorded times: packets/s and ages
		// are read on the replay clock, not the wall clock.
		Now: ui.Clock,
		// The start-up check's state of the targets.
		StartCheck: ui.StartCheck,
	}
}

// saveView writes the observations behind the events in view as a native
// recording: lossless for what the cache still holds.
func (r *runtime) saveView(path string, events []event.Event) error {
	xs, conns := map[uint64]bool{}, map[uint64]bool{}
	for i := range events {
		if events[i].Exchange != 0 {
			xs[events[i].Exchange] = true
		}
		if events[i].Conn != 0 {
			conns[events[i].Conn] = true
		}
	}
	w, err := recordings.Create(path, recordings.Header{Mode: "view", Started: time.Now()}, r.cfg.Redact)
	if err != nil {
		return err
	}
	if r.cfg.Redact {
		w.SetRedactor(recordings.NewRedactor(r.cfg.RedactParams))
	}
	for _, o := range r.cache.Select(xs, conns) {
		if err := w.Write(o); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// recoveryMark follows a namespace whose socket tried a connection state
// recovery: ↺ recovered, ↺✗ refused.
var recoveryMark = map[string]string{"recovered": "↺", "failed": "↺✗"}

func (r *runtime) sessions() []tui.SessionRow {
	infos := r.tracker.Sessions()
	rows := make([]tui.SessionRow, len(infos))
	for i, s := range infos {
		row := tui.SessionRow{
			Sid: s.Sid, Client: s.Client, Transport: s.Transport, Upgrade: s.Upgrade, EIO: s.EIO,
			PacketsC2S: s.PacketsC2S, PacketsS2C: s.PacketsS2C, BytesC2S: s.BytesC2S, BytesS2C: s.BytesS2C,
			Opened: s.Opened, LastActivity: s.LastActivity, PingRTT: s.PingRTT, Faults: s.Faults,
			Closed: s.Closed, ClosedReason: s.Reason,
		}
		for _, n := range s.Namespaces {
			row.Namespaces = append(row.Namespaces, n.Name+recoveryMark[n.Recovery])
		}
		rows[i] = row
	}
	return rows
}

// uiSource adds header lookups to the bus source.
type uiSource struct {
	*tui.BusSource
	cache *exchanges.Cache
	stats *stats.Collector // the analyzer's, for the stats pane
	// faults are the --inject rules behind the UI's "!" menu (inject.go);
	// nil in replay.
	faults *inject.Set
}

func (s *uiSource) Exchange(id uint64) (*obs.HTTPExchange, bool) { return s.cache.Exchange(id) }
func (s *uiSource) WSOpen(conn uint64) (*obs.WSOpen, bool)       { return s.cache.WSOpen(conn) }

var _ tui.HeaderSource = (*uiSource)(nil)

// outputHint is how long the shutdown waits for stdout before it says why
// it is still running.
const outputHint = 2 * time.Second

// waitOutput waits for the consumers to finish; when stdout is slow to
// take the rest, the user is told how to quit without it.
func waitOutput(wg *sync.WaitGroup, headless bool, stderr io.Writer) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	hint := time.NewTimer(outputHint)
	defer hint.Stop()
	select {
	case <-done:
		return
	case <-hint.C:
		if headless {
			// stderr may be blocked too: never wait on it.
			go io.WriteString(stderr, "sioproxy: waiting for stdout to take the remaining output; interrupt again to quit without it\n")
		}
	}
	<-done
}
