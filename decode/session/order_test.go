package session

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// OpenedOrder lists things by their session's opening time, then sid; it
// keeps its order until told the set changed, and then sorts again.
func TestOpenedOrder(t *testing.T) {
	at := func(ms int) time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	set := map[string]*Session{
		"c": {Sid: "c", Opened: at(5)},
		"a": {Sid: "a", Opened: at(5)},
		"z": {Sid: "z", Opened: at(1)},
		"m": {Sid: "m"}, // zero time: first
	}
	var o OpenedOrder[*Session]
	calls := 0
	all := func(yield func(*Session) bool) {
		calls++
		for _, s := range set {
			if !yield(s) {
				return
			}
		}
	}
	id := func(s *Session) *Session { return s }
	sids := func(ss []*Session) (out []string) {
		for _, s := range ss {
			out = append(out, s.Sid)
		}
		return out
	}
	for _, step := range []struct {
		name       string
		change     func()
		want       []string
		wantSorted int // calls of all so far
	}{
		{"first", nil, []string{"m", "z", "a", "c"}, 1},
		{"unchanged", nil, []string{"m", "z", "a", "c"}, 1},
		{"added, not invalidated", func() { set["b"] = &Session{Sid: "b", Opened: at(2)} }, []string{"m", "z", "a", "c"}, 1},
		{"invalidated", func() { o.Invalidate() }, []string{"m", "z", "b", "a", "c"}, 2},
		{"removed", func() { delete(set, "z"); o.Invalidate() }, []string{"m", "b", "a", "c"}, 3},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.change != nil {
				step.change()
			}
			got := sids(o.Append(nil, all, id))
			if !slices.Equal(got, step.want) {
				t.Errorf("order %q, want %q", got, step.want)
			}
			if calls != step.wantSorted {
				t.Errorf("listed the set %d times, want %d", calls, step.wantSorted)
			}
		})
	}
}

// Sessions that time out in the same tick are reported in the order they
// opened, also when one of them opened after the Tracker last sorted.
func TestTickReportsTimeoutsInOpenedOrder(t *testing.T) {
	tr := NewTracker(Options{})
	var closed []string
	emit := func(ev event.Event) {
		if ev.Kind == event.KindSession && ev.Action == "close" {
			closed = append(closed, ev.Sid)
		}
	}
	open := func(at int, conn uint64, sid string) {
		tr.Observe(wsOpen(at, conn, "/socket.io/?EIO=4&transport=websocket"), emit)
		tr.Observe(wsText(at+1, conn, s2c, strings.Replace(open4ws, "WSID", sid, 1)), emit)
	}
	// Map order is random; several sids make a lucky pass unlikely.
	open(0, 1, "s-late-name-first")
	open(10, 2, "a-second")
	tr.Tick(ms(20), emit) // sorted once here
	open(30, 3, "m-third")
	open(40, 4, "b-fourth")
	tr.Tick(ms(200000), emit) // all four are long silent
	want := []string{"s-late-name-first", "a-second", "m-third", "b-fourth"}
	if !slices.Equal(closed, want) {
		t.Errorf("closed in order %q, want %q", closed, want)
	}
}
