package proxy

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/pipeline"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// wsPath is everything sioproxy does for small WebSocket EVENTs and ACKs
// besides the relay's own reads and writes, wired as `sioproxy --json`
// wires it: taps parse the frames and push observations to a byte-bounded
// queue; the analyzer goroutine decodes Engine.IO and Socket.IO, tracks the
// sessions, runs the fault rules (ack timeout on) and formats JSON lines
// into the chunk writer.
type wsPath struct {
	q                *bus.Queue[obs.Obs]
	tr               *session.Tracker
	taps             []*tap
	acts             []*active.WS // with the active layer: each tap's, as relay.activate opens it
	done             chan error
	frame, msg, args []byte
	msgpack          int // msgpack events the Observe hook saw
}

// With withActive, every chunk goes through an active layer with nothing
// to do, as in a default `sioproxy` run (its control socket is on).
func newWSPath(tb testing.TB, sessions int, out io.Writer, withActive bool) *wsPath {
	w := &wsPath{q: bus.NewQueueBytes(1<<16, 64<<20, obs.Obs.Size), done: make(chan error, 1)}
	target, _ := url.Parse("http://127.0.0.1:1")
	p, err := New(Options{Targets: []*url.URL{target}, Sinks: []*bus.Queue[obs.Obs]{w.q}})
	if err != nil {
		tb.Fatal(err)
	}
	w.tr = session.NewTracker(session.Options{Diagnoser: diagnose.New(diagnose.Options{AckTimeout: 10 * time.Second})})
	cfg := pipeline.Config{In: w.q, Tracker: w.tr, Out: out, Format: "json"}
	if withActive {
		// A default run's engine also sees every event, to learn which
		// sessions speak msgpack (cmd/sioproxy's parserHints).
		cfg.Observe = func(ev *event.Event) {
			if ev.Parser == "msgpack" {
				w.msgpack++ // the analyzer goroutine's only
			}
		}
	}
	go func() {
		w.done <- pipeline.Run(context.Background(), cfg)
	}()
	w.taps = make([]*tap, sessions)
	var eng *active.Engine
	for i := range w.taps {
		conn := uint64(i + 1)
		t := newTap(p, conn, 0, "")
		w.taps[i] = t
		if withActive {
			if eng == nil {
				eng = active.New(active.Options{Push: p.push})
			}
			a := eng.OpenWS(active.WSConfig{
				ID: conn, Client: "127.0.0.1:40000", URL: "/socket.io/?EIO=4&transport=websocket",
				TapParser: func(dir decode.Dir) *ws.Parser { return t.dirs[dir].parser },
				Observe:   func(dir decode.Dir, b []byte, a *obs.Active) { t.feedMarked(dir, b, a, 0) },
				Push:      p.push,
				Write:     [2]io.Writer{io.Discard, io.Discard},
				Teardown:  func() {},
			})
			for d := range t.dirs {
				t.dirs[d].act = a
			}
			w.acts = append(w.acts, a)
		}
		p.push(obs.Obs{Kind: obs.KindWSOpen, Time: time.Now(), WSOpen: &obs.WSOpen{
			Conn: conn, URL: "/socket.io/?EIO=4&transport=websocket", Status: 101, Client: "127.0.0.1:40000",
		}})
		sid := "Zk3p" + strconv.Itoa(100000+i) + "xQ-AAAB"
		w.send(t, decode.S2C, []byte(`0{"sid":"`+sid+`","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
		w.send(t, decode.C2S, []byte("40"))
		w.send(t, decode.S2C, []byte(`40{"sid":"sock`+strconv.Itoa(i)+`"}`))
	}
	w.wait()
	return w
}

var benchMask = &[4]byte{0x9a, 0x3c, 0x51, 0xe7}

// send frames m as its sender would (a client masks) and relays it as
// relay.forward does: through the active layer if there is one, else
// straight to the tap.
func (w *wsPath) send(t *tap, dir decode.Dir, m []byte) {
	mask := benchMask
	if dir == decode.S2C {
		mask = nil
	}
	w.frame = ws.AppendFrame(w.frame[:0], ws.OpText, true, false, mask, m)
	if a := t.dirs[dir].act; a != nil {
		if err := a.Relay(dir, w.frame); err != nil {
			panic(err)
		}
		return
	}
	t.feed(int(dir), w.frame, 0)
}

// roundTrip feeds round trip i: what socket.io-client sends for
// emit("echo", {op, key, n}, cb) and the server's ack of it, on session
// i mod sessions with that session's next ack id.
func (w *wsPath) roundTrip(i int) {
	t := w.taps[i%len(w.taps)]
	ack := int64(i/len(w.taps) + 1)
	m := strconv.AppendInt(append(w.msg[:0], "42"...), ack, 10)
	n := len(m)
	m = append(m, `["echo",{"op":"get","key":"user:`...)
	m = strconv.AppendInt(m, int64(i), 10)
	m = append(m, `","n":`...)
	m = strconv.AppendInt(m, int64(i), 10)
	m = append(m, "}]"...)
	w.send(t, decode.C2S, m)
	w.args = append(w.args[:0], m[n+len(`["echo",`):]...)
	m = strconv.AppendInt(append(m[:0], "43"...), ack, 10)
	m = append(append(m, '['), w.args...)
	w.send(t, decode.S2C, m)
	w.msg = m
	if w.q.Len() > w.q.Cap()/2 {
		w.wait()
	}
}

// wait lets the analyzer catch up, so that nothing is dropped and the
// benchmark measures the analyzer's cost rather than the queue's size. A
// sleep, not a spin, so the waiting costs no CPU.
func (w *wsPath) wait() {
	for w.q.Len() > w.q.Cap()/4 {
		time.Sleep(200 * time.Microsecond)
	}
}

func (w *wsPath) close(tb testing.TB) {
	for _, a := range w.acts {
		a.Close()
	}
	w.q.Close()
	if err := <-w.done; err != nil {
		tb.Fatal(err)
	}
	if d := w.q.Dropped(); d != 0 {
		tb.Fatalf("%d observations dropped", d)
	}
}

// TestWSPathPrintsEveryPacket checks that the benchmark below measures
// what it claims: every EVENT and ACK decoded, matched and printed.
func TestWSPathPrintsEveryPacket(t *testing.T) {
	for _, withActive := range []bool{false, true} {
		t.Run(map[bool]string{false: "transparent", true: "active"}[withActive], func(t *testing.T) {
			testWSPathPrints(t, withActive)
		})
	}
}

func testWSPathPrints(t *testing.T, withActive bool) {
	var buf bytes.Buffer
	w := newWSPath(t, 3, &lockedWriter{w: &buf}, withActive)
	for i := range 6 {
		w.roundTrip(i)
	}
	w.close(t)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var evs, acks []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, `"type":"EVENT"`):
			evs = append(evs, l)
		case strings.Contains(l, `"type":"ACK"`):
			acks = append(acks, l)
		}
	}
	if len(evs) != 6 || len(acks) != 6 {
		t.Fatalf("%d EVENTs and %d ACKs printed, want 6 and 6:\n%s", len(evs), len(acks), buf.String())
	}
	for i, l := range evs {
		want := `"event":"echo","args":[{"op":"get","key":"user:` + strconv.Itoa(i) + `","n":` + strconv.Itoa(i) + `}]`
		if !strings.Contains(l, want) || !strings.Contains(l, `"id":`+strconv.Itoa(i/3+1)) {
			t.Errorf("EVENT %d: %s\nwant %s", i, l, want)
		}
		if !strings.Contains(acks[i], `"ack_event":"echo"`) {
			t.Errorf("ACK %d not matched to its EVENT: %s", i, acks[i])
		}
	}
	if strings.Contains(buf.String(), `"kind":"fault"`) {
		t.Errorf("a fault on healthy traffic:\n%s", buf.String())
	}
}

// BenchmarkWSRoundTripPath is wsPath per round trip (one op: an EVENT and
// its ACK), output to io.Discard. Sessions, sids, ack ids and payloads
// differ per op as in loadbench's ws-small (20 clients), so maps and
// caches behave as live; 1000 sessions shows the cost with more state;
// /active adds the idle active layer a default run has.
// cpu-ns/op is the process's CPU time (both goroutines, the GC) per op: on
// a shared machine the figure to compare, not ns/op.
func BenchmarkWSRoundTripPath(b *testing.B) {
	for _, bc := range []struct {
		name       string
		sessions   int
		withActive bool
	}{{"sessions=20", 20, false}, {"sessions=1000", 1000, false}, {"sessions=20/active", 20, true}} {
		sessions := bc.sessions
		b.Run(bc.name, func(b *testing.B) {
			w := newWSPath(b, sessions, io.Discard, bc.withActive)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				w.roundTrip(i)
			}
			w.close(b)
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			if s := w.tr.Sessions(); len(s) != sessions {
				b.Fatalf("%d sessions tracked, want %d", len(s), sessions)
			}
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
