package recordings

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// runner replays one script against the server.
type runner struct {
	sc   *script
	opts ReplayToOptions
	ig   *ignorer
	c    *sioclient.Client

	mu        sync.Mutex
	got       []shape // server packets other than acks, in arrival order
	sent      int
	received  int
	connected map[string]chan struct{} // closed when the CONNECT reply for the nsp came
	questions map[string][]*step       // recorded server events with an ack id, by family
	changed   chan struct{}            // poked on every server packet
	ackGot    map[*step]*sio.Packet
	refused   map[string]bool  // namespaces the server answered with CONNECT_ERROR
	skipped   map[*step]string // events not sent, and why
	slack     int              // server packets given up on while waiting for causes
	gaveUp    map[*step]bool   // acks given up on while waiting for causes

	acks sync.WaitGroup
}

func (rn *runner) run(ctx context.Context) SessionReport {
	sc := rn.sc
	rep := SessionReport{Sid: sc.sid, Transport: sc.transport}
	fail := func(msg string) SessionReport {
		rep.Diffs = append(rep.Diffs, Diff{Sid: sc.sid, NewSid: rep.NewSid, What: "session", Msg: msg})
		return rep
	}
	if sc.problem != "" {
		return fail("not replayed: " + sc.problem)
	}
	rn.connected = map[string]chan struct{}{}
	rn.questions = map[string][]*step{}
	rn.changed = make(chan struct{}, 1)
	rn.ackGot = map[*step]*sio.Packet{}
	rn.refused = map[string]bool{}
	rn.skipped = map[*step]string{}
	rn.gaveUp = map[*step]bool{}
	for _, st := range sc.s2c {
		if isEvent(st.p.Type) && st.p.HasID {
			f := shapeOf(&st.p).family()
			rn.questions[f] = append(rn.questions[f], st)
		}
	}
	hdr := http.Header{}
	for k, v := range sc.header {
		hdr.Set(k, v)
	}
	c, err := sioclient.Dial(ctx, rn.opts.URL, sioclient.Options{
		Transport: sc.transport, Path: sc.path, Header: hdr, Query: sc.query, HTTP: rn.opts.HTTP,
	})
	if err != nil {
		return fail("handshake failed: " + err.Error())
	}
	rn.c = c
	rep.NewSid = c.Sid()
	readDone := make(chan struct{})
	go rn.readLoop(readDone)

	start := time.Now()
	var early string
	for _, st := range sc.c2s {
		if err := sleepUntil(ctx, start, st.at.Sub(sc.opened), rn.opts.Speed); err != nil {
			early = err.Error()
			break
		}
		if err := rn.awaitCauses(ctx, st); err != nil {
			early = err.Error()
			break
		}
		if err := rn.sendStep(ctx, st); err != nil {
			early = err.Error()
			break
		}
	}
	rn.acks.Wait()
	rn.awaitServer(ctx, start)
	c.Close()
	<-readDone

	rn.mu.Lock()
	defer rn.mu.Unlock()
	rep.Sent, rep.Received = rn.sent, rn.received
	if early != "" {
		rep.Diffs = append(rep.Diffs, Diff{What: "session", Msg: "session ended before the replay did: " + early})
	}
	var rec []shape
	for _, st := range sc.s2c {
		rec = append(rec, shapeOf(&st.p))
	}
	rep.Diffs = append(rep.Diffs, compareServer(rn.ig.all(rec), rn.ig.all(rn.got))...)
	for _, st := range sc.c2s {
		if !isEvent(st.p.Type) || !st.p.HasID {
			continue
		}
		wait := rn.opts.Grace
		if st.acked != nil {
			wait = rn.opts.AckTimeout
		}
		why := fmt.Sprintf("within %v", wait)
		if s, ok := rn.skipped[st]; ok {
			why = s
		}
		if d := compareAck(&st.p, st.acked, rn.ackGot[st], why, rn.ig); d != nil {
			rep.Diffs = append(rep.Diffs, *d)
		}
	}
	for i := range rep.Diffs {
		rep.Diffs[i].Sid, rep.Diffs[i].NewSid = sc.sid, rep.NewSid
	}
	return rep
}

// sendStep sends one recorded client packet: a CONNECT, and then nothing
// on that namespace until the server replied (socket.io-client buffers
// the same way, and a server drops packets for a namespace it has not
// joined yet); an EVENT asking for an ack under a fresh id.
func (rn *runner) sendStep(ctx context.Context, st *step) error {
	p := st.p
	if p.Type == sio.Connect {
		rn.mu.Lock()
		rn.connected[p.Nsp] = make(chan struct{})
		rn.mu.Unlock()
		return rn.send(p)
	}
	if err := rn.waitConnected(ctx, p.Nsp); err != nil {
		return err
	}
	rn.mu.Lock()
	refused := rn.refused[p.Nsp]
	if refused {
		rn.skipped[st] = fmt.Sprintf("(not sent: the server refused namespace %q)", p.Nsp)
	}
	rn.mu.Unlock()
	if refused {
		// socket.io-client sends nothing on a namespace it could not join.
		return nil
	}
	if !isEvent(p.Type) || !p.HasID {
		return rn.send(p)
	}
	id, ch := rn.c.NextAckID(p.Nsp)
	p.ID = id
	if err := rn.send(p); err != nil {
		return err
	}
	wait := rn.opts.Grace
	if st.acked != nil {
		wait = rn.opts.AckTimeout
	}
	rn.acks.Add(1)
	go rn.awaitAck(ctx, st, ch, wait)
	return nil
}

func (rn *runner) send(p sio.Packet) error {
	text, atts := sio.Encode(p)
	if err := rn.c.SendRaw(text, atts); err != nil {
		return err
	}
	rn.mu.Lock()
	rn.sent++
	rn.mu.Unlock()
	return nil
}

func (rn *runner) waitConnected(ctx context.Context, nsp string) error {
	rn.mu.Lock()
	ch := rn.connected[nsp]
	rn.mu.Unlock()
	if ch == nil {
		return nil
	}
	t := time.NewTimer(rn.opts.AckTimeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		// Sent anyway: the difference shows up as a missing reply.
	case <-rn.c.Done():
		return fmt.Errorf("the server closed the session (%v)", rn.c.Err())
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// awaitAck is the goroutine waiting for the server's ack to one event.
func (rn *runner) awaitAck(ctx context.Context, st *step, ch <-chan *sio.Packet, wait time.Duration) {
	defer rn.acks.Done()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case p := <-ch:
		rn.mu.Lock()
		rn.ackGot[st] = p
		rn.received++
		rn.mu.Unlock()
		rn.poke()
	case <-t.C:
	case <-rn.c.Done():
	case <-ctx.Done():
	}
}

// readLoop is the goroutine taking the server's packets (all but acks,
// which go to awaitAck) until the session ends.
func (rn *runner) readLoop(done chan<- struct{}) {
	defer close(done)
	in := rn.c.Incoming()
	for {
		select {
		case p := <-in:
			rn.onServer(p)
		case <-rn.c.Done():
			for {
				select {
				case p := <-in:
					rn.onServer(p)
				default:
					return
				}
			}
		}
	}
}

func (rn *runner) onServer(p *sio.Packet) {
	if p.Nsp == "" {
		p.Nsp = "/"
	}
	s := shapeOf(p)
	rn.mu.Lock()
	rn.got = append(rn.got, s)
	rn.received++
	if p.Type == sio.Connect || p.Type == sio.ConnectError {
		rn.refused[p.Nsp] = p.Type == sio.ConnectError
		if ch := rn.connected[p.Nsp]; ch != nil {
			close(ch)
			delete(rn.connected, p.Nsp)
		}
	}
	var reply *sio.Packet
	if isEvent(p.Type) && p.HasID {
		// The server asks again what it asked in the recording: answer as
		// the recorded client did, under the new id.
		f := s.family()
		if q := rn.questions[f]; len(q) > 0 {
			rn.questions[f] = q[1:]
			if q[0].reply != nil {
				r := *q[0].reply
				r.ID = p.ID
				reply = &r
			}
		}
	}
	rn.mu.Unlock()
	if reply != nil {
		_ = rn.send(*reply)
	}
	rn.poke()
}

func (rn *runner) poke() {
	select {
	case rn.changed <- struct{}{}:
	default:
	}
}

// awaitCauses waits until the server has sent what the recorded client had
// received before sending st, or AckTimeout passed; what did not come is
// then given up on, so that one missing answer delays the replay once.
func (rn *runner) awaitCauses(ctx context.Context, st *step) error {
	var t *time.Timer
	for {
		rn.mu.Lock()
		ok := len(rn.got)+rn.slack >= st.seen
		for _, ev := range st.seenAcks {
			if rn.ackGot[ev] == nil && !rn.gaveUp[ev] && rn.skipped[ev] == "" {
				ok = false
			}
		}
		rn.mu.Unlock()
		if ok {
			return nil
		}
		if t == nil {
			t = time.NewTimer(rn.opts.AckTimeout)
			defer t.Stop()
		}
		select {
		case <-rn.changed:
		case <-t.C:
			rn.mu.Lock()
			if d := st.seen - len(rn.got) - rn.slack; d > 0 {
				rn.slack += d
			}
			for _, ev := range st.seenAcks {
				rn.gaveUp[ev] = true
			}
			rn.mu.Unlock()
			return nil
		case <-rn.c.Done():
			return nil // sending reports the closed session
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// awaitServer waits for the server packets still due: until the session's
// recorded end (scaled) plus the grace period, or until as many arrived as
// were recorded.
func (rn *runner) awaitServer(ctx context.Context, start time.Time) {
	deadline := time.Now()
	if rn.opts.Speed > 0 {
		if end := start.Add(time.Duration(float64(rn.sc.end.Sub(rn.sc.opened)) / rn.opts.Speed)); end.After(deadline) {
			deadline = end
		}
	}
	t := time.NewTimer(time.Until(deadline.Add(rn.opts.Grace)))
	defer t.Stop()
	for {
		rn.mu.Lock()
		complete := len(rn.got) >= len(rn.sc.s2c)
		rn.mu.Unlock()
		if complete {
			return
		}
		select {
		case <-rn.changed:
		case <-t.C:
			return
		case <-rn.c.Done():
			return
		case <-ctx.Done():
			return
		}
	}
}
