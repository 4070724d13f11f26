package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// probeHeartbeat waits for one ping of the server and answers it (F1);
// held as a long-poll, the same wait shows an intermediary that cuts
// requests before pingInterval (F2).
func (d *doctor) probeHeartbeat(ctx context.Context, e *engine) {
	pi := time.Duration(e.open.PingInterval) * time.Millisecond
	hb := d.probe(LayerHeartbeat, "heartbeat")
	var slow *Probe
	if d.opts.Slow {
		slow = d.probe(LayerHeartbeat, "intermediary timeout")
	} else {
		d.probe(LayerHeartbeat, "intermediary timeout").skip("--slow not given: holding a long-poll for a full pingInterval (%v) is the slow check", pi)
	}
	if e.v == eio.V3 {
		d.heartbeatV3(ctx, e, hb, slow)
		return
	}
	if pi <= 0 {
		hb.skip("no pingInterval in the open packet")
		return
	}
	if !d.opts.Slow && pi > d.opts.HeartbeatMax {
		hb.skip("pingInterval is %v: one cycle is longer than the quick run waits (%v); --slow waits for it", pi, d.opts.HeartbeatMax)
		return
	}
	margin := pi / 5
	if margin < time.Second {
		margin = time.Second
	}
	hold := pi + margin
	s, x, err := d.newSession(ctx, e, nil)
	if err != nil {
		hb.exchange(x)
		hb.skip("no session: %s", esc(err.Error()))
		if slow != nil {
			slow.skip("no session")
		}
		return
	}
	defer s.close(ctx)
	start := time.Now()
	var ping bool
	var last *exchange
	var rerr error
	for !ping && rerr == nil && time.Since(start) < hold {
		var ps []eio.Packet
		ps, last, rerr = s.recv(ctx, hold-time.Since(start))
		for _, p := range ps {
			ping = ping || p.Type == eio.Ping
		}
	}
	took := time.Since(start)
	if last != nil {
		hb.exchange(last)
		if slow != nil {
			slow.exchange(last)
		}
	}
	what := "long-poll GET"
	if !e.polling {
		what = "WebSocket"
	}
	switch {
	case ping:
		if slow != nil {
			slow.pass("the %s was held %v until the server's ping: nothing cut it before pingInterval %v", what, took.Round(10*time.Millisecond), pi)
		}
	case rerr != nil && last != nil && last.Status >= 400 && last.Status < 500:
		// The server itself refused the poll: not a timeout.
		hb.fail("the long-poll for the ping was refused: %s", last.response())
		if errorsIsSessionUnknown(last) {
			hb.fault(diagnose.CodeSessionUnknownLive)
		}
		if slow != nil {
			slow.skip("the long-poll was refused, see heartbeat")
		}
		return
	case rerr != nil && took < pi:
		cut := fmt.Sprintf("the %s was cut after %v, before the server's ping at pingInterval %v: %s", what, took.Round(10*time.Millisecond), pi, esc(rerr.Error()))
		hb.fail("%s", cut).fault(diagnose.CodePollCut)
		hb.Fix = fmt.Sprintf("An intermediary times out after about %v: raise its timeout above pingInterval + pingTimeout (%v): nginx `proxy_read_timeout`, httpd `ProxyTimeout`, the cloud load balancer's backend timeout.", took.Round(time.Second), pi+time.Duration(e.open.PingTimeout)*time.Millisecond)
		if slow != nil {
			slow.fail("%s", cut).fault(diagnose.CodePollCut)
			slow.Fix = hb.Fix
		}
		return
	default:
		why := "nothing arrived"
		if rerr != nil {
			why = rerr.Error()
		}
		hb.fail("no ping from the server within pingInterval %v + %v: %s", pi, margin, esc(why)).fault(diagnose.CodePingMissing)
		if slow != nil {
			slow.skip("no ping to wait for")
		}
		return
	}
	if _, err := s.send(ctx, eio.Packet{Type: eio.Pong}); err != nil {
		hb.fail("the server's ping came after %v, but our pong was refused: %s", took.Round(10*time.Millisecond), esc(err.Error())).fault(diagnose.CodePongMissing)
		return
	}
	if s.ws != nil {
		// A WebSocket has no answer to a pong: the session still answering
		// a CONNECT afterwards is the acceptance.
		if _, err := s.send(ctx, firstPost(d.opts, e.v)); err == nil {
			_, _, err = s.awaitConnect(ctx, d.opts.Nsp)
		}
		if err != nil {
			hb.fail("the server's ping came after %v, but the session stopped answering after our pong: %s", took.Round(10*time.Millisecond), esc(err.Error())).fault(diagnose.CodePongMissing)
			return
		}
	}
	hb.pass("the server pinged after %v (pingInterval %v) and accepted our pong", took.Round(10*time.Millisecond), pi)
}

// heartbeatV3: in EIO3 the client pings and the server pongs.
func (d *doctor) heartbeatV3(ctx context.Context, e *engine, hb, slow *Probe) {
	s, x, err := d.newSession(ctx, e, nil)
	if err != nil {
		hb.exchange(x)
		hb.skip("no session: %s", esc(err.Error()))
		if slow != nil {
			slow.skip("no session")
		}
		return
	}
	defer s.close(ctx)
	start := time.Now()
	px, err := s.send(ctx, eio.Packet{Type: eio.Ping})
	hb.exchange(px)
	if err != nil {
		hb.fail("our ping was refused: %s", esc(err.Error())).fault(diagnose.CodePingMissing)
		return
	}
	pong := false
	for !pong && time.Since(start) < d.opts.Timeout {
		ps, _, err := s.recv(ctx, d.opts.Timeout-time.Since(start))
		if err != nil {
			break
		}
		for _, p := range ps {
			pong = pong || p.Type == eio.Pong
		}
	}
	if !pong {
		hb.fail("no pong to our EIO3 ping within %v", d.opts.Timeout).fault(diagnose.CodePongMissing)
	} else {
		hb.pass("EIO3: our ping was answered with a pong in %v", time.Since(start).Round(time.Millisecond))
	}
	if slow == nil {
		return
	}
	pi := time.Duration(e.open.PingInterval) * time.Millisecond
	hold := pi + time.Second
	start = time.Now()
	_, gx, err := s.recv(ctx, hold)
	slow.exchange(gx)
	took := time.Since(start)
	if err != nil && took < pi && !isTimeoutErr(gx) {
		slow.fail("the long-poll GET was cut after %v, before pingInterval %v: %s", took.Round(10*time.Millisecond), pi, esc(err.Error())).fault(diagnose.CodePollCut)
		return
	}
	slow.pass("the long-poll GET stayed open %v (pingInterval %v)", took.Round(10*time.Millisecond), pi)
}

func isTimeoutErr(x *exchange) bool {
	return x != nil && x.Status == 0 && x.Err != nil && isTimeout(x.Err)
}
