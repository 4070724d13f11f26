package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// traffic drives the run's proxy until ctx ends.
func (r *run) traffic(ctx context.Context) {
	base := "http://" + r.addr
	var wg sync.WaitGroup
	spawn := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	bin := make([]byte, 64<<10)
	for i := range bin {
		bin[i] = byte(i * 31)
	}
	for i := 0; i < 6; i++ {
		spawn(func() { r.echoLoop(ctx, base, sioclient.PollingOnly, nil) })
		spawn(func() { r.echoLoop(ctx, base, sioclient.WebSocketOnly, bin) })
	}
	spawn(func() { r.reconnectLoop(ctx, base) })
	spawn(func() { r.hostileLoop(ctx, base) })
	wg.Wait()
}

func dial(ctx context.Context, base, transport string) (*sioclient.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := sioclient.Dial(dctx, base, sioclient.Options{Transport: transport})
	if err != nil {
		return nil, err
	}
	if _, err := c.Connect(dctx, "/", nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// roundTrip echoes one payload and checks what came back.
func (r *run) roundTrip(ctx context.Context, c *sioclient.Client, bin []byte) bool {
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var payload any = map[string]any{"op": "get", "key": "user:42", "n": 1}
	if bin != nil {
		payload = bin
	}
	p, err := c.EmitWithAck(actx, "/", "echo", payload)
	if ctx.Err() != nil {
		return true // stopping, not a relay error
	}
	ok := err == nil
	if ok && bin != nil {
		ok = len(p.Buffers) == 1 && bytes.Equal(p.Buffers[0], bin)
	} else if ok {
		ok = jsonHas(p.Data, `"user:42"`)
	}
	if ok {
		r.rtts.Add(1)
	} else {
		what := "echo differs"
		if err != nil {
			what = err.Error()
		}
		r.fail(c.Sid(), what)
	}
	return ok
}

func (r *run) echoLoop(ctx context.Context, base, transport string, bin []byte) {
	for ctx.Err() == nil {
		c, err := dial(ctx, base, transport)
		if err != nil {
			if ctx.Err() == nil {
				r.fail("", "dial "+transport+": "+err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		for ctx.Err() == nil && r.roundTrip(ctx, c, bin) {
			sleep(ctx, 50*time.Millisecond)
		}
		c.Close()
	}
}

// reconnectLoop opens a session (polling, then the upgrade) every second,
// does a few round trips and leaves.
func (r *run) reconnectLoop(ctx context.Context, base string) {
	for ctx.Err() == nil {
		c, err := dial(ctx, base, sioclient.PollingThenUpgrade)
		if err != nil {
			if ctx.Err() == nil {
				r.fail("", "dial (reconnect): "+err.Error())
			}
		} else {
			for i := 0; i < 3 && r.roundTrip(ctx, c, nil); i++ {
			}
			c.Close()
		}
		sleep(ctx, time.Second)
	}
}

// fail counts a relay error and prints the first ones with their cause.
func (r *run) fail(sid, what string) {
	if n := r.errors.Add(1); n <= 10 {
		fmt.Printf("%-8s relay error %d: sid %q: %s\n", r.mode, n, sid, what)
	}
}

// hostileLoop cycles through hostile behaviours every two seconds. What
// it sends is not checked (the proxy may refuse to decode it); the other
// clients' round trips are.
func (r *run) hostileLoop(ctx context.Context, base string) {
	addr := strings.TrimPrefix(base, "http://")
	for i := 0; ctx.Err() == nil; i++ {
		switch i % 5 {
		case 0: // an unfinished 16 MiB frame with 4 MiB sent, then gone
			if c := upgradeRaw(addr); c != nil {
				h := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
				binary.BigEndian.PutUint64(h[2:10], 16<<20)
				c.Write(append(h, make([]byte, 4<<20)...))
				sleep(ctx, time.Second)
				c.Close()
			}
		case 1: // slow headers, abandoned
			if c, err := net.Dial("tcp", addr); err == nil {
				io.WriteString(c, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Slow: ")
				sleep(ctx, time.Second)
				c.Close()
			}
		case 2: // 10,000 levels of nesting in an event
			if c, err := dial(ctx, base, sioclient.WebSocketOnly); err == nil {
				c.SendRaw([]byte(`42["deep",`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`]`), nil)
				sleep(ctx, 200*time.Millisecond)
				c.Close()
			}
		case 3: // a 1 MB event
			if c, err := dial(ctx, base, sioclient.WebSocketOnly); err == nil {
				actx, cancel := context.WithTimeout(ctx, 15*time.Second)
				c.EmitWithAck(actx, "/", "echo", strings.Repeat("x", 1<<20))
				cancel()
				c.Close()
			}
		case 4: // garbage after the upgrade: framing is lost
			if c := upgradeRaw(addr); c != nil {
				c.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3})
				sleep(ctx, 200*time.Millisecond)
				c.Close()
			}
		}
		sleep(ctx, 2*time.Second)
	}
}

func upgradeRaw(addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil
	}
	io.WriteString(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 101 {
		c.Close()
		return nil
	}
	c.SetReadDeadline(time.Time{})
	go io.Copy(io.Discard, c)
	return c
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
