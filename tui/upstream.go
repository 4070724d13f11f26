package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// UpstreamCheck is the result of the start-up check of one target: Err is
// set when the target did not accept a connection.
type UpstreamCheck struct {
	Target string
	Err    string
	At     time.Time
}

// faultUnreachable is decode/diagnose.CodeUpstreamUnreachable (the UI does
// not import the rules).
const faultUnreachable = "upstream_unreachable"

// upstreamState is each target's reachability for the status bar: down
// from a failed start-up check or an upstream_unreachable fault, up again
// once an exchange it served got an answer.
type upstreamState struct {
	order []string
	down  map[string]time.Time // target → unreachable since
	seen  bool                 // a check ran or a target was down: say "up" too
}

func newUpstreamState(checks []UpstreamCheck) *upstreamState {
	// Without a start-up check (tests, replays) nothing is shown until a
	// target is found down.
	u := &upstreamState{down: make(map[string]time.Time), seen: len(checks) > 0}
	for _, c := range checks {
		if c.Err != "" {
			u.markDown(c.Target, c.At)
		}
	}
	return u
}

func (u *upstreamState) markDown(target string, at time.Time) {
	if _, ok := u.down[target]; ok {
		return
	}
	if len(u.order) >= 64 {
		return
	}
	u.order = append(u.order, target)
	u.down[target] = at
	u.seen = true
}

func (u *upstreamState) observe(ev *event.Event) {
	switch ev.Kind {
	case event.KindFault:
		if f := ev.Fault; f != nil && f.Code == faultUnreachable {
			u.markDown(f.Target, f.First)
		}
	case event.KindHTTP:
		if ev.Status == 0 || len(u.down) == 0 {
			return
		}
		// An answer from a target (or, when unnamed, from the only one
		// known to be down) means it is back.
		t := ev.Upstream
		if t == "" && len(u.down) == 1 {
			t = u.order[0]
		}
		if _, ok := u.down[t]; ok {
			delete(u.down, t)
			u.order = slicesDelete(u.order, t)
		}
	}
}

func slicesDelete(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// status is the status bar part: "target up", or the targets down and
// since when; "" before anything is known.
func (u *upstreamState) status() string {
	if len(u.order) == 0 {
		if u.seen {
			return "target up"
		}
		return ""
	}
	parts := make([]string, 0, len(u.order))
	for _, t := range u.order {
		name := t
		if name == "" {
			name = "target"
		}
		parts = append(parts, "✗ "+name+" unreachable since "+u.down[t].Format("15:04:05"))
	}
	if len(parts) > 2 {
		parts = append(parts[:2], "+"+strconv.Itoa(len(u.order)-2)+" more")
	}
	return strings.Join(parts, ", ")
}
