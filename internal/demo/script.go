package demo

import (
	"context"
	"log"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// script is the cast of simulated clients.
type script struct {
	proxyURL, lbURL string
	pace            float64
	log             *log.Logger
}

func (s *script) actors() []func(context.Context) {
	return []func(context.Context){
		s.chatter,
		s.poller,
		s.admin,
		s.every(10*time.Second, s.intruder),
		s.every(9*time.Second, s.foreignOrigin),
		s.every(12*time.Second, s.lostSticky),
		s.every(15*time.Second, s.typoNamespace),
	}
}

// sleep waits d scaled by the pace; false if the demo is stopping.
func (s *script) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(time.Duration(float64(d) * s.pace))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *script) every(d time.Duration, f func(context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		for s.sleep(ctx, d/3+time.Duration(rand.Int64N(int64(d/3)))) {
			f(ctx)
			if !s.sleep(ctx, d) {
				return
			}
		}
	}
}

func (s *script) dial(ctx context.Context, base, transport string, hdr http.Header) (*sioclient.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return sioclient.Dial(dctx, base, sioclient.Options{
		Transport: transport,
		Header:    hdr,
		OnEvent:   func(p *sio.Packet) []any { return []any{"yes"} },
	})
}

// chatter upgrades from polling to WebSocket and chats with acks, now and
// then sending a binary avatar.
func (s *script) chatter(ctx context.Context) {
	for ctx.Err() == nil {
		c, err := s.dial(ctx, s.proxyURL, sioclient.PollingThenUpgrade, nil)
		if err != nil {
			s.log.Printf("chatter: %v", err)
			if !s.sleep(ctx, 2*time.Second) {
				return
			}
			continue
		}
		c.Connect(ctx, "/", nil)
		c.Connect(ctx, "/chat", map[string]string{"user": "ann"})
		lines := []string{"hi all", "anyone tried the new build?", "héllo wörld ✓", "brb ☕", "back"}
		for i := 0; i < 40 && ctx.Err() == nil; i++ {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if i%5 == 4 {
				avatar := make([]byte, 256+rand.IntN(2048))
				for j := range avatar {
					avatar[j] = byte(j * 7)
				}
				c.EmitWithAck(actx, "/chat", "avatar", map[string]string{"user": "ann"}, avatar)
			} else {
				c.EmitWithAck(actx, "/chat", "message", map[string]any{"user": "ann", "text": lines[i%len(lines)]})
			}
			cancel()
			if !s.sleep(ctx, 1200*time.Millisecond) {
				break
			}
		}
		c.Close()
	}
}

// poller stays on long-polling and sends bursts, so payloads carry several
// packets.
func (s *script) poller(ctx context.Context) {
	for ctx.Err() == nil {
		c, err := s.dial(ctx, s.proxyURL, sioclient.PollingOnly, nil)
		if err != nil {
			s.log.Printf("poller: %v", err)
			if !s.sleep(ctx, 2*time.Second) {
				return
			}
			continue
		}
		c.Connect(ctx, "/", nil)
		for i := 0; i < 20 && ctx.Err() == nil; i++ {
			for j := 0; j < 3; j++ {
				c.Emit("/", "typing", map[string]any{"user": "bob", "n": j})
			}
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c.EmitWithAck(actx, "/", "presence", "bob", "online")
			cancel()
			if !s.sleep(ctx, 2*time.Second) {
				break
			}
		}
		c.Close()
	}
}

// admin is a WebSocket-only client in an authenticated namespace.
func (s *script) admin(ctx context.Context) {
	for ctx.Err() == nil {
		c, err := s.dial(ctx, s.proxyURL, sioclient.WebSocketOnly, nil)
		if err != nil {
			s.log.Printf("admin: %v", err)
			if !s.sleep(ctx, 2*time.Second) {
				return
			}
			continue
		}
		if _, err := c.Connect(ctx, "/admin", map[string]string{"token": "letmein"}); err != nil {
			s.log.Printf("admin: %v", err)
		}
		for i := 0; i < 15 && ctx.Err() == nil; i++ {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c.EmitWithAck(actx, "/admin", "stats")
			cancel()
			if !s.sleep(ctx, 2500*time.Millisecond) {
				break
			}
		}
		c.Close()
	}
}

// intruder is refused by the /admin middleware (FAULTS.md G2).
func (s *script) intruder(ctx context.Context) {
	c, err := s.dial(ctx, s.proxyURL, sioclient.PollingOnly, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.Connect(ctx, "/admin", map[string]string{"token": "guess"})
}

// foreignOrigin polls from an origin the app does not allow (FAULTS.md B1):
// the server still answers, without Access-Control-Allow-Origin, so a
// browser would block it.
func (s *script) foreignOrigin(ctx context.Context) {
	c, err := s.dial(ctx, s.proxyURL, sioclient.PollingOnly, http.Header{"Origin": {"http://evil.example"}})
	if err != nil {
		return
	}
	defer c.Close()
	c.Connect(ctx, "/", nil)
	s.sleep(ctx, time.Second)
}

// lostSticky goes through a round-robin balancer over two nodes: its second
// request reaches the node that never saw the session (FAULTS.md C1, C2).
func (s *script) lostSticky(ctx context.Context) {
	c, err := s.dial(ctx, s.lbURL, sioclient.PollingOnly, nil)
	if err != nil {
		return
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c.Connect(cctx, "/", nil)
}

// typoNamespace asks for a namespace the app does not have (FAULTS.md G1).
func (s *script) typoNamespace(ctx context.Context) {
	c, err := s.dial(ctx, s.proxyURL, sioclient.PollingThenUpgrade, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.Connect(ctx, "/chta", nil)
}
