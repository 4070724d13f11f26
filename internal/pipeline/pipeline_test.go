package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// wsSession is a WebSocket-only session: open, CONNECT, one event.
func wsSession(conn uint64, sid string) []obs.Obs {
	msg := func(ms int, d decode.Dir, s string) obs.Obs {
		return obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(ms) * time.Millisecond),
			WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 1, Data: []byte(s)}}
	}
	return []obs.Obs{
		{Kind: obs.KindWSOpen, Time: t0, WSOpen: &obs.WSOpen{Conn: conn, URL: "/socket.io/?EIO=4&transport=websocket", Status: 101,
			ReqHeader: http.Header{}, RespHeader: http.Header{}}},
		msg(1, decode.S2C, `0{"sid":"`+sid+`","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`),
		msg(2, decode.C2S, "40"),
		msg(3, decode.C2S, `42["hi",1]`),
	}
}

// lockedBuffer is an io.Writer the test can read while the writer runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func kinds(t *testing.T, jsonl string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var ev event.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		k := string(ev.Kind) + ":" + ev.Engine + ev.Action
		if ev.Kind == event.KindDrop {
			k += ":" + ev.Where
		}
		out = append(out, k)
	}
	return out
}

func TestRunUntilInputCloses(t *testing.T) {
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"json", func(t *testing.T, out string) {
			got := strings.Join(kinds(t, out), " ")
			want := "http: session:open packet:open packet:message packet:message"
			if got != want {
				t.Errorf("kinds %q, want %q", got, want)
			}
		}},
		{"text", func(t *testing.T, out string) {
			if !strings.Contains(out, `⇢ c2s EVENT / "hi" [1]`) || strings.Count(out, "\n") != 5 {
				t.Errorf("text output:\n%s", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			in := bus.NewQueue[obs.Obs](64)
			ring := bus.NewRing[event.Event](64)
			for _, o := range wsSession(1, "S1") {
				in.Push(o)
			}
			in.Close()
			var out lockedBuffer
			err := Run(context.Background(), Config{In: in, Events: ring, Out: &out, Format: tc.format, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out.String())
			evs, last, _ := ring.Since(nil, 0, 100)
			if len(evs) != 5 || last != 5 {
				t.Fatalf("ring holds %d events up to %d, want 5", len(evs), last)
			}
			for i, ev := range evs {
				if ev.Seq != uint64(i+1) {
					t.Errorf("event %d has Seq %d", i, ev.Seq)
				}
			}
		})
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	in := bus.NewQueue[obs.Obs](64)
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan error)
	go func() { done <- Run(ctx, Config{In: in, Out: &out, Format: "json"}) }()
	for _, o := range wsSession(1, "S1") {
		in.Push(o)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// Whatever was queued before the cancel was drained and written.
	if n := len(kinds(t, out.String())); n != 5 {
		t.Errorf("%d events written, want 5", n)
	}
}

func TestInputDropsReported(t *testing.T) {
	in := bus.NewQueue[obs.Obs](2)
	for _, o := range wsSession(1, "S1") { // 4 observations into 2 slots
		in.Push(o)
	}
	in.Close()
	var out lockedBuffer
	if err := Run(context.Background(), Config{In: in, Out: &out, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var dropped uint64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev event.Event
		json.Unmarshal([]byte(line), &ev)
		if ev.Kind == event.KindDrop && ev.Where == "observations" {
			dropped += ev.Dropped
		}
	}
	if dropped != 2 {
		t.Errorf("reported %d dropped observations, want 2\n%s", dropped, out.String())
	}
}

// gate blocks every Write until released, like a stalled terminal.
type gate struct {
	release chan struct{}
	lockedBuffer
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.release
	return g.lockedBuffer.Write(p)
}

func TestSlowOutputNeverStallsAnalyzer(t *testing.T) {
	in := bus.NewQueue[obs.Obs](1024)
	ring := bus.NewRing[event.Event](4096)
	const sessions = 50
	for i := range sessions {
		for _, o := range wsSession(uint64(i+1), "S"+strconv.Itoa(i)) {
			in.Push(o)
		}
	}
	in.Close()
	g := &gate{release: make(chan struct{})}
	done := make(chan error)
	go func() {
		done <- Run(context.Background(), Config{In: in, Events: ring, Out: g, Format: "json", OutQueue: 8})
	}()
	// The analyzer finishes every observation while the output is stuck.
	deadline := time.After(10 * time.Second)
	for ring.Last() < sessions*5 {
		select {
		case <-deadline:
			t.Fatalf("analyzer stalled behind the output: %d events", ring.Last())
		case <-time.After(time.Millisecond):
		}
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Whatever the output could not take is reported, never lost silently:
	// the lines written plus the drops reported account for every event.
	var written, dropped uint64
	for _, line := range strings.Split(strings.TrimSpace(g.String()), "\n") {
		var ev event.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if ev.Kind == event.KindDrop && ev.Where == "output" {
			dropped += ev.Dropped
			continue
		}
		written++
	}
	if total := ring.Last(); written+dropped != total {
		t.Errorf("%d lines written + %d reported dropped = %d, want every one of the %d events", written, dropped, written+dropped, total)
	}
}

func TestTickClosesSilentSessions(t *testing.T) {
	in := bus.NewQueue[obs.Obs](64)
	ring := bus.NewRing[event.Event](64)
	for _, o := range wsSession(1, "S1") {
		in.Push(o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	// The injected clock is an hour ahead, so the first tick finds the
	// session silent far past pingInterval+pingTimeout.
	go func() {
		done <- Run(ctx, Config{In: in, Events: ring, TickEvery: time.Millisecond, Now: func() time.Time { return t0.Add(time.Hour) }})
	}()
	deadline := time.After(10 * time.Second)
	for {
		evs, _, _ := ring.Since(nil, 0, 100)
		if len(evs) > 0 && evs[len(evs)-1].Action == "close" {
			if r := evs[len(evs)-1].Reason; r != "ping timeout" {
				t.Errorf("reason %q", r)
			}
			break
		}
		select {
		case <-deadline:
			t.Fatal("no close event from Tick")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
}

// failingOut fails every write, as a full disk or a closed pipe does.
type failingOut struct{ writes atomic.Int32 }

func (f *failingOut) Write(p []byte) (int, error) {
	f.writes.Add(1)
	return 0, errors.New("write out.jsonl: no space left on device")
}

// An output that fails is reported once and at once, while the pipeline
// still runs; it goes on analyzing, and Run returns the error at the end.
func TestOutputErrorReportedAtOnce(t *testing.T) {
	in := bus.NewQueue[obs.Obs](1024)
	ring := bus.NewRing[event.Event](4096)
	out := &failingOut{}
	reported := make(chan error, 4)
	done := make(chan error)
	go func() {
		done <- Run(context.Background(), Config{In: in, Events: ring, Out: out, Format: "json", OutErr: func(err error) { reported <- err }})
	}()
	for _, o := range wsSession(1, "S1") {
		in.Push(o)
	}
	select {
	case err := <-reported:
		if err.Error() != "write out.jsonl: no space left on device" {
			t.Fatalf("reported %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the output error was not reported while running")
	}
	before := ring.Last()
	for _, o := range wsSession(2, "S2") {
		in.Push(o)
	}
	in.Close()
	if err := <-done; err == nil || err.Error() != "write out.jsonl: no space left on device" {
		t.Fatalf("Run returned %v", err)
	}
	if ring.Last() <= before {
		t.Error("the analyzer stopped after the output failed")
	}
	if len(reported) != 0 || out.writes.Load() != 1 {
		t.Errorf("%d more reports, %d writes; want one report and no write after the failure", len(reported), out.writes.Load())
	}
}

func TestObserveSeesEveryEvent(t *testing.T) {
	in := bus.NewQueue[obs.Obs](64)
	ring := bus.NewRing[event.Event](64)
	for _, o := range wsSession(1, "S1") {
		in.Push(o)
	}
	in.Close()
	var seen []string
	err := Run(context.Background(), Config{In: in, Events: ring, Now: func() time.Time { return t0 },
		Observe: func(ev *event.Event) { seen = append(seen, string(ev.Kind)+":"+ev.Action+ev.Engine) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen, " "), "http: session:open packet:open packet:message packet:message"; got != want {
		t.Fatalf("observed %q, want %q", got, want)
	}
}

func TestOnTickGetsTheClock(t *testing.T) {
	in := bus.NewQueue[obs.Obs](4)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time, 1)
	done := make(chan error)
	go func() {
		done <- Run(ctx, Config{In: in, TickEvery: time.Millisecond, Now: func() time.Time { return t0 },
			OnTick: func(now time.Time) {
				select {
				case ticks <- now:
				default:
				}
			}})
	}()
	select {
	case now := <-ticks:
		if !now.Equal(t0) {
			t.Errorf("OnTick got %v, want the injected clock %v", now, t0)
		}
	case <-time.After(10 * time.Second):
		t.Error("OnTick never called")
	}
	cancel()
	<-done
}

// A tick must not judge silence on a lagging analyzer: heartbeats already
// queued behind a full batch are observed before the timers run, so a
// healthy session is not closed as "ping timeout" on a busy machine.
func TestTickCatchesUpBeforeTimers(t *testing.T) {
	const pings = 3 * maxBatch
	in := bus.NewQueue[obs.Obs](2*pings + 16)
	ring := bus.NewRing[event.Event](4 * pings)
	msg := func(ms int, d decode.Dir, s string) obs.Obs {
		return obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(ms) * time.Millisecond),
			WSMsg: &obs.WSMessage{Conn: 1, Dir: d, Opcode: 1, Data: []byte(s)}}
	}
	in.Push(obs.Obs{Kind: obs.KindWSOpen, Time: t0, WSOpen: &obs.WSOpen{Conn: 1, URL: "/socket.io/?EIO=4&transport=websocket", Status: 101,
		ReqHeader: http.Header{}, RespHeader: http.Header{}}})
	in.Push(msg(1, decode.S2C, `0{"sid":"S1","upgrades":[],"pingInterval":100,"pingTimeout":100}`))
	last := 0
	for i := 1; i <= pings; i++ {
		last = i * 100
		in.Push(msg(last, decode.S2C, "2"))
		in.Push(msg(last+1, decode.C2S, "3"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	// The clock stands just after the last pong: only a tick that has not
	// seen the queued heartbeats finds the session silent.
	now := t0.Add(time.Duration(last+50) * time.Millisecond)
	go func() {
		done <- Run(ctx, Config{In: in, Events: ring, TickEvery: time.Microsecond, Now: func() time.Time { return now }})
	}()
	deadline := time.After(20 * time.Second)
	for {
		evs, _, _ := ring.Since(nil, 0, 8*pings)
		pongs := 0
		for _, ev := range evs {
			if ev.Action == "close" {
				t.Fatalf("healthy session closed by a tick that ran before queued heartbeats: reason %q", ev.Reason)
			}
			if ev.Engine == "pong" {
				pongs++
			}
		}
		if pongs == pings {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("%d of %d pongs observed", pongs, pings)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
}
