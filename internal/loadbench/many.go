package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// manyConns holds idle WebSocket sessions through one sioproxy (with
// --json to a file) and, next to them, active ones that each send an
// EVENT and wait for its ACK perRate times a second for dur. It reports
// sioproxy's RSS idle and under the load, its CPU, the round trips made
// and whether every EVENT and ACK reached the output.
//
// sioproxy holds two descriptors per connection and the machine's hard
// limit is 20,000, so idle+active must stay below about 9,900; the
// benchmark's own clients and the echo server are separate processes
// with their own limits.
func manyConns(ctx context.Context, bin, tmp, target string, idle, active int, perRate float64, dur time.Duration) error {
	out := filepath.Join(tmp, "many.jsonl")
	p, err := startSioproxy(bin, target, out)
	if err != nil {
		return err
	}
	defer p.stop()
	defer os.Remove(out)
	time.Sleep(200 * time.Millisecond)
	base := memKB(p.pid(), "VmRSS")

	var clients []*sioclient.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	dial := func(connect bool) (*sioclient.Client, error) {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c, err := sioclient.Dial(dctx, p.url, sioclient.Options{Transport: sioclient.WebSocketOnly})
		if err == nil && connect {
			if _, err = c.Connect(dctx, "/", nil); err != nil {
				c.Close()
			}
		}
		return c, err
	}
	t0 := time.Now()
	for i := 0; i < idle; i++ {
		// Joined to "/": socket.io closes a session that joins no
		// namespace within connectTimeout (45 s).
		c, err := dial(true)
		if err != nil {
			return fmt.Errorf("idle connection %d of %d: %w", i+1, idle, err)
		}
		clients = append(clients, c)
	}
	opened := time.Since(t0)
	time.Sleep(2 * time.Second)
	idleRSS := memKB(p.pid(), "VmRSS")

	act := make([]*sioclient.Client, 0, active)
	for i := 0; i < active; i++ {
		c, err := dial(true)
		if err != nil {
			return fmt.Errorf("active connection %d of %d: %w", i+1, active, err)
		}
		clients = append(clients, c)
		act = append(act, c)
	}
	payload := map[string]any{"op": "get", "key": "user:42", "n": 1}
	var sent, acked, errs atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := cpuSeconds(p.pid()), time.Now()
	stop := start.Add(dur)
	interval := time.Duration(float64(time.Second) / perRate)
	for i, c := range act {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the clients' ticks over one interval.
			next := start.Add(time.Duration(i) * interval / time.Duration(len(act)))
			for {
				time.Sleep(time.Until(next))
				if time.Now().After(stop) {
					return
				}
				next = next.Add(interval)
				sent.Add(1)
				actx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := c.EmitWithAck(actx, "/", "echo", payload)
				cancel()
				if err != nil {
					errs.Add(1)
					continue
				}
				acked.Add(1)
				if n := time.Now(); n.After(next) {
					next = n // behind: do not burst to catch up
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := settledCPU(p.pid()) - cpu0
	peak := memKB(p.pid(), "VmHWM")
	alive, total := 0, len(clients)
	for _, c := range clients {
		select {
		case <-c.Done():
		default:
			alive++
		}
	}
	// Clients first, so sioproxy does not tear 10,000 relays down itself,
	// and time for it to write all it holds.
	for _, c := range clients {
		c.Close()
	}
	clients = nil
	p.grace = 2 * time.Minute
	p.stop()
	c, cerr := countJSON(out)
	fmt.Printf("\n%d idle + %d active WebSockets through sioproxy (--json to a file), each active one sending %.0f EVENTs/s for %s:\n", idle, active, perRate, dur)
	fmt.Printf("  idle connections opened in %s; sioproxy RSS %.1f MiB → %.1f MiB idle = %.1f KiB per idle connection\n",
		opened.Round(time.Millisecond), float64(base)/1024, float64(idleRSS)/1024, float64(idleRSS-base)/float64(max(idle, 1)))
	fmt.Printf("  offered %.0f round trips/s, made %.0f/s (%d sent, %d acked, %d failed); %d of %d connections alive at the end\n",
		perRate*float64(active), float64(acked.Load())/elapsed.Seconds(), sent.Load(), acked.Load(), errs.Load(), alive, total)
	fmt.Printf("  sioproxy CPU %.2f cores (%.1f ms per 1k round trips), peak RSS %.1f MiB\n",
		cpu/elapsed.Seconds(), cpu/float64(max(acked.Load(), 1))*1e6, float64(peak)/1024)
	if cerr != nil {
		return fmt.Errorf("counting --json: %w", cerr)
	}
	fmt.Printf("  --json: %d EVENTs and %d ACKs printed of %d and %d; %d observations dropped\n", c.events, c.acks, sent.Load(), acked.Load(), c.dropped)
	return nil
}
