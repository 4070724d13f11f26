package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/termsafe"
	"github.com/sioproxy/sioproxy/recordings"
	"github.com/sioproxy/sioproxy/tui"
)

const replayUsage = `usage: sioproxy replay FILE [--speed N | --fast] [--no-tui] [--json]
                            [--binary STYLE] [--path PREFIX]
       sioproxy replay FILE --to URL [--sid SID] [--transport T]
                            [--ignore PATH]... [--speed N | --fast] [--json]

Plays a recording (native .jsonl, .jsonl.gz, or a HAR file from Chrome,
Firefox, mitmproxy or HTTP Toolkit) through the decoder and the fault
diagnosis again, into the terminal UI (space pauses) or the --no-tui and
--json outputs.

With --to, replays the recorded clients against a live server instead: a
fresh handshake per session, the recorded client packets at their recorded
times, and a report of where the server's answers differ. Exit status 1
when they differ.

flags:
  --speed N           play N times as fast as recorded; 0 is as fast as possible
                      (default: recorded speed in the UI and with --to,
                      0 headless)
  --fast              same as --speed 0
  --no-tui            one line per event on stdout instead of the terminal UI
  --json              JSON Lines on stdout (implies --no-tui)
  --path PREFIX       Engine.IO path prefix, repeatable (as for the proxy)
  --binary STYLE      attachments in --json and --no-tui: summary (default),
                      full or none
  --to URL            replay the clients against the server at URL
  --sid SID           with --to: only the recorded session SID
  --transport T       with --to: polling (then upgrade), polling-only or
                      websocket
                      instead of the recorded transport
  --grace D           with --to: wait D after a session's last packet for late
                      server packets (default 2s)
  --ignore PATH       with --to: a JSON path of the args whose value may differ,
                      repeatable: ..key (at any depth), $[0].user.id, $[*].id
  --no-default-ignore with --to: also compare what is ignored by default: keys
                      sid, socketId, socket_id, pid, ts, time, timestamp, date,
                      createdAt, updatedAt, and values that look like a
                      Socket.IO id or a timestamp
`

// replayConfig is the replay command line.
type replayConfig struct {
	config
	File      string
	Speed     float64
	SpeedSet  bool
	To        string
	Sid       string
	Transport string
	Grace     time.Duration
	Ignore    []string
	NoDefIgn  bool // --no-default-ignore
}

func parseReplayFlags(args []string) (replayConfig, error) {
	var c replayConfig
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var paths multiFlag
	var fast bool
	fs.Float64Var(&c.Speed, "speed", 0, "")
	fs.BoolVar(&fast, "fast", false, "")
	fs.BoolVar(&c.NoTUI, "no-tui", false, "")
	fs.BoolVar(&c.JSON, "json", false, "")
	fs.Var(&paths, "path", "")
	fs.StringVar(&c.To, "to", "", "")
	fs.StringVar(&c.Sid, "sid", "", "")
	fs.StringVar(&c.Transport, "transport", "", "")
	fs.DurationVar(&c.Grace, "grace", 2*time.Second, "")
	fs.Var((*multiFlag)(&c.Ignore), "ignore", "")
	fs.BoolVar(&c.NoDefIgn, "no-default-ignore", false, "")
	c.registerBinary(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return c, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "speed" {
			c.SpeedSet = true
		}
	})
	switch {
	case len(files) == 0:
		return c, errors.New("replay: no recording given (sioproxy replay FILE)")
	case len(files) > 1:
		return c, fmt.Errorf("replay: one recording at a time, got %d (%s)", len(files), strings.Join(files, ", "))
	}
	c.File = files[0]
	if fast && c.SpeedSet && c.Speed != 0 {
		return c, fmt.Errorf("replay: --fast with --speed %v: choose one", c.Speed)
	}
	if c.Speed < 0 {
		return c, fmt.Errorf("replay: --speed %v: must be 0 or more", c.Speed)
	}
	if fast {
		c.Speed, c.SpeedSet = 0, true
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return c, fmt.Errorf("replay: --path %q: must start with /", p)
		}
	}
	c.Paths = paths
	if c.To == "" {
		for name, v := range map[string]string{"--sid": c.Sid, "--transport": c.Transport} {
			if v != "" {
				return c, fmt.Errorf("replay: %s needs --to URL", name)
			}
		}
		if len(c.Ignore) > 0 || c.NoDefIgn {
			return c, errors.New("replay: --ignore and --no-default-ignore need --to URL")
		}
	} else {
		for _, p := range c.Ignore {
			if _, err := recordings.ParseIgnore(p); err != nil {
				return c, fmt.Errorf("replay: %v", err)
			}
		}
		u, err := parseTarget(c.To)
		if err != nil {
			return c, fmt.Errorf("replay: --to %q: %v", c.To, err)
		}
		c.To = u.String()
		switch c.Transport {
		case "", "polling", "polling-only", "websocket":
		default:
			return c, fmt.Errorf("replay: --transport %q: want polling, polling-only or websocket", c.Transport)
		}
		if c.Grace <= 0 {
			return c, fmt.Errorf("replay: --grace %v: must be more than 0", c.Grace)
		}
	}
	if c.JSON {
		c.NoTUI = true
	}
	return c, nil
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %s", fs.Name(), strings.Replace(err.Error(), " -", " --", 1))
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// runReplay is `sioproxy replay`.
func runReplay(ctx context.Context, args []string, stdout *os.File, stderr io.Writer) error {
	c, err := parseReplayFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, replayUsage)
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	r, err := recordings.Open(c.File)
	if err != nil {
		return err
	}
	defer r.Close()
	if c.To != "" {
		return replayTo(ctx, c, r, stdout, stderr)
	}
	return replayLocal(ctx, c, r, stdout, stderr)
}

// replayLocal feeds the recording to the analyzer and the UI or the
// headless output, exactly where the proxy feeds live observations.
func replayLocal(ctx context.Context, c replayConfig, r *recordings.Reader, stdout *os.File, stderr io.Writer) error {
	allProcs()
	rt, err := newRuntime(c.config, stdout, r.Header())
	if err != nil {
		return err
	}
	speed := c.Speed
	if !c.SpeedSet && rt.useTUI {
		speed = 1 // watching: as it happened
	}
	player := recordings.NewPlayer(speed, nil)
	clock := &replayClock{in: rt.in, player: player}
	feed := newFeeder(rt.sinks())
	var prog struct {
		sync.Mutex
		done, total int64
	}

	pctx, cancel := context.WithCancel(ctx)
	sourceDone := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		err := player.Play(pctx, r, func(o obs.Obs) error {
			if err := feed.push(pctx, o); err != nil {
				return err
			}
			clock.pushed(o.Time)
			return nil
		}, func(done, total int64) {
			prog.Lock()
			prog.done, prog.total = done, total
			prog.Unlock()
		})
		clock.end()
		if errors.Is(err, context.Canceled) && pctx.Err() != nil {
			err = nil // stopped by the user or by the runtime
		}
		sourceDone <- err
	}()
	stop := func() {
		cancel()
		<-finished // nothing is pushed after stop returns
	}
	title := "sioproxy replay"
	if h := r.Header(); h.Source != "" {
		title += " (" + h.Source + ")"
	}
	target := r.Header().Target
	if target == "" {
		target = r.Header().Mode // a demo or a saved view has no upstream
	}
	err = rt.run(ctx, uiInfo{
		Title: title, Listen: c.File, Target: target,
		Progress: func() (int, int) {
			prog.Lock()
			defer prog.Unlock()
			if prog.total <= 0 {
				return 0, 0
			}
			return int(prog.done), int(prog.total)
		},
		Clock:       clock.now,
		TogglePause: clock.togglePause,
		Lossless:    true,
	}, sourceDone, stop, stdout, stderr)
	cancel()
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "sioproxy: warning: %s\n", termsafe.String(w))
	}
	return err
}

// feeder hands observations to every sink. Unlike the proxy, a replay has
// no live traffic to protect, so it waits for room instead of letting a
// queue drop: a fast replay must decode every observation. The queues
// may be bounded by bytes as well as by count, and say neither how full
// they are in bytes nor whether a push would fit, so the feeder keeps what
// it has in flight per queue within its own, smaller window, which always
// fits. It is the sinks' only producer: room seen is room kept.
type feeder struct {
	sinks  []*bus.Queue[obs.Obs]
	flight [][]int // per sink: sizes of the items it may still hold, oldest first
	bytes  []int
}

// The feeder's window per queue: far below every queue's own limits.
const (
	feedItems = 4096
	feedBytes = 8 << 20
)

func newFeeder(sinks []*bus.Queue[obs.Obs]) *feeder {
	return &feeder{sinks: sinks, flight: make([][]int, len(sinks)), bytes: make([]int, len(sinks))}
}

func (f *feeder) push(ctx context.Context, o obs.Obs) error {
	n := approxSize(o)
	for i, q := range f.sinks {
		for {
			// The queue is FIFO: what it holds are the newest Len() items.
			for held := q.Len(); len(f.flight[i]) > held; f.flight[i] = f.flight[i][1:] {
				f.bytes[i] -= f.flight[i][0]
			}
			held := len(f.flight[i])
			if held == 0 || (held < min(q.Cap(), feedItems) && f.bytes[i]+n <= feedBytes) {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			time.Sleep(200 * time.Microsecond)
		}
		q.Push(o)
		f.flight[i] = append(f.flight[i], n)
		f.bytes[i] += n
	}
	return nil
}

// approxSize is an upper bound of the bytes an observation holds, as far
// as queues bounded by bytes count them: its bodies and payload.
func approxSize(o obs.Obs) int {
	n := 256
	if x := o.HTTP; x != nil {
		n += len(x.ReqBody) + len(x.RespBody) + len(x.URL) + headerBytes(x.ReqHeader) + headerBytes(x.RespHeader)
	}
	if x := o.WSOpen; x != nil {
		n += len(x.URL) + headerBytes(x.ReqHeader) + headerBytes(x.RespHeader)
	}
	if m := o.WSMsg; m != nil {
		n += len(m.Data)
	}
	return n
}

func headerBytes(h map[string][]string) int {
	n := 0
	for k, vs := range h {
		n += len(k) + 32
		for _, v := range vs {
			n += len(v) + 32
		}
	}
	return n
}

// replayClock is the analyzer's clock during a replay: the recorded time,
// so that timers (ping timeouts, stuck upgrades) fire where they did live
// rather than at once, since recorded times lie in the past.
type replayClock struct {
	in     *bus.Queue[obs.Obs]
	player *recordings.Player

	mu       sync.Mutex
	last     time.Time // recorded time of the newest observation pushed
	lastWall time.Time // when it was pushed
	given    time.Time // the latest time now returned: never goes back
	ended    bool
	// times rings the recorded times of the latest observations pushed
	// (the feeder keeps fewer than clockRing in the queue): the analyzer
	// has taken all but the newest in.Len() of the pushed ones.
	times  []time.Time
	pushes uint64
}

// clockRing exceeds the feeder's window, so the time of the newest
// observation the analyzer took is always still in the ring.
const clockRing = 2 * feedItems

func (c *replayClock) pushed(t time.Time) {
	c.mu.Lock()
	if t.After(c.last) {
		c.last = t
	}
	c.lastWall = time.Now()
	if c.times == nil {
		c.times = make([]time.Time, clockRing)
	}
	c.times[c.pushes%clockRing] = t
	c.pushes++
	c.mu.Unlock()
}

func (c *replayClock) end() {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
}

// now is called by the analyzer between observations. While observations
// wait in its queue it must not run ahead of them, or a session whose
// next packet is still queued would look silent: it is the time of the
// newest observation the analyzer took. (It used to stand still until the
// queue ran empty, which a fast replay's queue hardly ever does: no timer
// ran and no closed session was forgotten, so a long replay's memory grew
// with every session it had seen.) Once the queue is empty, everything
// pushed has been observed, and at a real speed the clock moves on
// between observations as recorded time would.
func (c *replayClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.last
	if queued := uint64(c.in.Len()); queued > 0 {
		// An observation pushed but not yet counted in pushes, or taken
		// since Len, only makes this index older: never ahead.
		if queued < c.pushes && queued < clockRing {
			if taken := c.times[(c.pushes-queued-1)%clockRing]; taken.After(c.given) {
				c.given = taken
			}
		}
		return c.given
	}
	if s := c.player.Speed(); !c.ended && s > 0 && !c.player.Paused() && !c.lastWall.IsZero() {
		t = t.Add(time.Duration(float64(time.Since(c.lastWall)) * s))
	}
	if t.Before(c.given) {
		t = c.given
	}
	c.given = t
	return t
}

func (c *replayClock) togglePause() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.player.Paused() {
		c.player.Resume()
		c.lastWall = time.Now()
		return false
	}
	// Freeze the clock where it is.
	if s := c.player.Speed(); !c.ended && s > 0 && !c.lastWall.IsZero() {
		c.last = c.last.Add(time.Duration(float64(time.Since(c.lastWall)) * s))
	}
	c.player.Pause()
	return true
}

// replayUISource adds the pause toggle to the UI's source.
type replayUISource struct {
	*uiSource
	toggle func() bool
}

func (s *replayUISource) TogglePause() bool { return s.toggle() }

var _ tui.Pauser = (*replayUISource)(nil)

// replaySource gives the UI a pause key when replaying.
func replaySource(src *uiSource, toggle func() bool) tui.Source {
	if toggle == nil {
		return src
	}
	return &replayUISource{uiSource: src, toggle: toggle}
}

// replayTo is `sioproxy replay FILE --to URL`.
func replayTo(ctx context.Context, c replayConfig, r *recordings.Reader, stdout *os.File, stderr io.Writer) error {
	speed := c.Speed
	if !c.SpeedSet {
		speed = 1
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rep, err := recordings.ReplayTo(ctx, r, recordings.ReplayToOptions{
		URL: c.To, Sid: c.Sid, Transport: c.Transport, Speed: speed, Grace: c.Grace,
		Paths: c.Paths, HTTP: &http.Client{Transport: tr},
		Ignore: c.Ignore, NoDefaultIgnore: c.NoDefIgn,
	})
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "sioproxy: warning: %s\n", termsafe.String(w))
	}
	if err != nil {
		return err
	}
	if c.JSON {
		err = rep.WriteJSON(stdout)
	} else {
		// The report quotes the server's events: shown escaped.
		var buf bytes.Buffer
		if err = rep.WriteText(&buf); err == nil {
			_, err = io.WriteString(stdout, termsafe.Text(buf.String()))
		}
	}
	if err != nil {
		return err
	}
	if n := rep.Differences(); n > 0 {
		return errDiffer{n}
	}
	return nil
}

// errDiffer is a replay whose server answered differently: exit 1, and
// the report already said why.
type errDiffer struct{ n int }

func (e errDiffer) Error() string {
	return fmt.Sprintf("the server's answers differ from the recording (%d differences)", e.n)
}
