package recordings

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
)

// ReplayToOptions configure ReplayTo.
type ReplayToOptions struct {
	// URL is the server's base URL (http or https); the Engine.IO path is
	// the recorded one.
	URL string
	// Sid replays only the recorded session with this Engine.IO sid.
	Sid string
	// Transport overrides the recorded transport: "polling" (then
	// upgrade), "polling-only" or "websocket".
	Transport string
	// Speed scales the recorded timing: 1 as recorded, 2 twice as fast, 0
	// as fast as the server answers.
	Speed float64
	// Grace is how long to wait after a session's last recorded packet for
	// server packets still due. Default 2 s.
	Grace time.Duration
	// AckTimeout is how long an ack or a CONNECT reply may take. Default
	// 10 s.
	AckTimeout time.Duration
	// Paths are the Engine.IO path prefixes for decoding the recording
	// (as --path).
	Paths []string
	// HTTP is the client for polling requests; nil means a default one.
	HTTP *http.Client
	// Ignore lists JSON paths of the args that must not count as
	// differences (see ParseIgnore), on top of DefaultIgnore and values
	// that look like ids or timestamps unless NoDefaultIgnore.
	Ignore          []string
	NoDefaultIgnore bool
}

// Diff is one way the server's answers differ from the recording.
type Diff struct {
	Sid    string `json:"sid"`               // the recorded session
	NewSid string `json:"new_sid,omitempty"` // the replayed session
	// What is "ack", "event", "connect", "disconnect" or "session".
	What     string `json:"what"`
	Nsp      string `json:"nsp,omitempty"`
	Event    string `json:"event,omitempty"`
	ID       *int64 `json:"id,omitempty"`       // the recorded ack id
	Recorded string `json:"recorded,omitempty"` // JSON args, or the packet type
	Got      string `json:"got,omitempty"`
	Msg      string `json:"msg"` // the whole difference in words
}

// SessionReport is the outcome of replaying one recorded session.
type SessionReport struct {
	Sid       string `json:"sid"`
	NewSid    string `json:"new_sid,omitempty"`
	Transport string `json:"transport"`
	Sent      int    `json:"sent"`     // Socket.IO packets sent (acks included)
	Received  int    `json:"received"` // Socket.IO packets received (acks included)
	Diffs     []Diff `json:"-"`
}

// ReplayReport is the outcome of a replay to a server.
type ReplayReport struct {
	Target   string
	Sessions []SessionReport
}

// Differences counts the differences over all sessions.
func (r *ReplayReport) Differences() int {
	n := 0
	for _, s := range r.Sessions {
		n += len(s.Diffs)
	}
	return n
}

// ReplayTo replays the client side of every Socket.IO session in r (or of
// opts.Sid only) against a live server: a fresh handshake on the recorded
// transport, the recorded client packets at their recorded times (scaled by
// Speed) with old ack ids mapped to new ones, the recorded client acks to
// the server's questions, and then compares what the server answered with
// what it answered in the recording. Sessions run concurrently, each
// starting at its recorded offset. An error means the replay could not run
// (an unreadable recording, no such session); differences are in the
// report.
func ReplayTo(ctx context.Context, r *Reader, opts ReplayToOptions) (*ReplayReport, error) {
	if opts.URL == "" {
		return nil, fmt.Errorf("replay to a server: no URL")
	}
	if !strings.HasPrefix(opts.URL, "http://") && !strings.HasPrefix(opts.URL, "https://") {
		return nil, fmt.Errorf("replay to %q: want an http:// or https:// URL", opts.URL)
	}
	switch opts.Transport {
	case "", "polling", "polling-only", "websocket":
	default:
		return nil, fmt.Errorf("transport %q: want polling, polling-only or websocket", opts.Transport)
	}
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 10 * time.Second
	}
	if opts.Speed < 0 {
		opts.Speed = 0
	}
	if opts.HTTP == nil {
		// Its own transport, so that no idle connection outlives the replay.
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		opts.HTTP = &http.Client{Transport: tr}
	}
	ig, err := newIgnorer(opts.Ignore, !opts.NoDefaultIgnore)
	if err != nil {
		return nil, err
	}
	scripts, err := buildScripts(r, session.Options{Paths: opts.Paths}, opts.Sid)
	if err != nil {
		return nil, err
	}
	if len(scripts) == 0 {
		if opts.Sid != "" {
			return nil, fmt.Errorf("no session with sid %q in the recording", opts.Sid)
		}
		return nil, fmt.Errorf("no Socket.IO session in the recording")
	}
	if opts.Transport != "" {
		for _, sc := range scripts {
			sc.transport = opts.Transport
		}
	}
	rep := &ReplayReport{Target: opts.URL, Sessions: make([]SessionReport, len(scripts))}
	start := time.Now()
	first := scripts[0].opened
	var wg sync.WaitGroup
	for i, sc := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rn := &runner{sc: sc, opts: opts, ig: ig}
			if err := sleepUntil(ctx, start, sc.opened.Sub(first), opts.Speed); err != nil {
				rep.Sessions[i] = SessionReport{Sid: sc.sid, Transport: sc.transport, Diffs: []Diff{{Sid: sc.sid, What: "session", Msg: "not replayed: " + err.Error()}}}
				return
			}
			rep.Sessions[i] = rn.run(ctx)
		}()
	}
	wg.Wait()
	return rep, ctx.Err()
}

// sleepUntil waits until offset (recorded time, scaled by speed) after
// start; speed 0 does not wait.
func sleepUntil(ctx context.Context, start time.Time, offset time.Duration, speed float64) error {
	if speed == 0 || offset <= 0 {
		return ctx.Err()
	}
	d := time.Until(start.Add(time.Duration(float64(offset) / speed)))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
