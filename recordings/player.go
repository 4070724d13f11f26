package recordings

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// Clock is the time source of a Player; tests pass a fake one.
type Clock interface {
	Now() time.Time
	// After delivers on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Player feeds a recording to a consumer at recorded speed, faster, slower
// or all at once, and can be paused. It knows nothing of the pipeline: the
// caller's out function decides what an observation turns into.
type Player struct {
	clock Clock

	mu       sync.Mutex
	speed    float64
	paused   bool
	resumeCh chan struct{} // closed by Resume
	wake     chan struct{} // interrupts a pacing sleep after Pause or SetSpeed

	onPauseWait func() // test hook: Play is about to block on a pause
}

// NewPlayer returns a Player. speed 0 plays as fast as possible, 1 at
// recorded speed, 2 twice as fast. A nil clock means the real one.
func NewPlayer(speed float64, clock Clock) *Player {
	if clock == nil {
		clock = realClock{}
	}
	if speed < 0 {
		speed = 0
	}
	return &Player{clock: clock, speed: speed, wake: make(chan struct{}, 1)}
}

// Play is NewPlayer(speed, nil).Play: the simple form for callers that
// need neither pause nor a clock.
func Play(ctx context.Context, r *Reader, speed float64, out func(obs.Obs) error, progress func(done, total int64)) error {
	return NewPlayer(speed, nil).Play(ctx, r, out, progress)
}

// Pause holds playback before the next observation until Resume.
func (p *Player) Pause() {
	p.mu.Lock()
	if !p.paused {
		p.paused = true
		p.resumeCh = make(chan struct{})
	}
	p.mu.Unlock()
	p.poke()
}

// Resume continues a paused playback; the time spent paused is not made
// up for by playing faster.
func (p *Player) Resume() {
	p.mu.Lock()
	if p.paused {
		p.paused = false
		close(p.resumeCh)
	}
	p.mu.Unlock()
}

// Paused reports whether playback is paused.
func (p *Player) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// SetSpeed changes the speed from the current position on.
func (p *Player) SetSpeed(speed float64) {
	if speed < 0 {
		speed = 0
	}
	p.mu.Lock()
	p.speed = speed
	p.mu.Unlock()
	p.poke()
}

// Speed is the current speed.
func (p *Player) Speed() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speed
}

func (p *Player) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Player) drainWake() {
	select {
	case <-p.wake:
	default:
	}
}

// pacer maps recorded time to wall time: recorded time rec0 is played at
// wall time wall0, and later recorded times at (t-rec0)/speed after that.
type pacer struct {
	based bool
	rec0  time.Time
	wall0 time.Time
	speed float64
}

// position is the recorded time that is due at wall time now.
func (pc *pacer) position(now time.Time) time.Time {
	return pc.rec0.Add(time.Duration(float64(now.Sub(pc.wall0)) * pc.speed))
}

func (pc *pacer) rebase(now time.Time, speed float64) {
	if pc.based && pc.speed > 0 {
		pc.rec0 = pc.position(now)
		pc.wall0 = now
	}
	pc.speed = speed
	if speed == 0 {
		pc.based = false
	}
}

// Play reads r to the end, calling out for each observation at its time and
// progress (if not nil) after it with r.Progress(). It returns nil at the
// end of the recording, ctx's error if cancelled, or the first error of r or
// out.
func (p *Player) Play(ctx context.Context, r *Reader, out func(obs.Obs) error, progress func(done, total int64)) error {
	var pc pacer
	pc.speed = p.Speed()
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := p.pace(ctx, &pc, o.Time); err != nil {
			return err
		}
		if err := out(o); err != nil {
			return err
		}
		if progress != nil {
			progress(r.Progress())
		}
	}
}

// pace waits until recorded time t is due, honouring pauses and speed
// changes that happen meanwhile.
func (p *Player) pace(ctx context.Context, pc *pacer, t time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.drainWake()
		if err := p.waitPaused(ctx, pc); err != nil {
			return err
		}
		if s := p.Speed(); s != pc.speed {
			pc.rebase(p.clock.Now(), s)
		}
		if pc.speed == 0 || t.IsZero() {
			return nil
		}
		now := p.clock.Now()
		if !pc.based {
			pc.based, pc.rec0, pc.wall0 = true, t, now
			return nil
		}
		d := time.Duration(float64(t.Sub(pc.rec0))/pc.speed) - now.Sub(pc.wall0)
		if d <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.clock.After(d):
			return nil
		case <-p.wake:
			// Pause or speed change during the sleep: recompute.
		}
	}
}

// waitPaused blocks while paused and shifts the pacing so that the pause
// does not count as elapsed playback time.
func (p *Player) waitPaused(ctx context.Context, pc *pacer) error {
	p.mu.Lock()
	paused, ch, hook := p.paused, p.resumeCh, p.onPauseWait
	p.mu.Unlock()
	if !paused {
		return nil
	}
	if pc.based && pc.speed > 0 {
		pc.rec0 = pc.position(p.clock.Now())
	}
	if hook != nil {
		hook()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
	}
	pc.wall0 = p.clock.Now()
	return nil
}
