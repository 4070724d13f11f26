package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// idleConns opens n WebSocket-only sessions through a fresh sioproxy,
// holds them, and reports sioproxy's memory per connection.
func idleConns(ctx context.Context, bin, tmp, target string, n int) error {
	p, err := startSioproxy(bin, target, filepath.Join(tmp, "idle.jsonl"))
	if err != nil {
		return err
	}
	defer p.stop()
	time.Sleep(200 * time.Millisecond)
	base := memKB(p.pid(), "VmRSS")
	clients := make([]*sioclient.Client, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		c, err := sioclient.Dial(dctx, p.url, sioclient.Options{Transport: sioclient.WebSocketOnly})
		cancel()
		if err != nil {
			return fmt.Errorf("idle connection %d of %d: %w", i+1, n, err)
		}
		clients = append(clients, c)
	}
	opened := time.Since(t0)
	time.Sleep(5 * time.Second)
	alive := 0
	for _, c := range clients {
		select {
		case <-c.Done():
		default:
			alive++
		}
	}
	rss := memKB(p.pid(), "VmRSS")
	fmt.Printf("\nidle WebSocket connections through sioproxy: %d opened in %s, %d alive after 5 s; sioproxy RSS %.1f MiB → %.1f MiB = %.1f KiB per connection\n",
		n, opened.Round(time.Millisecond), alive, float64(base)/1024, float64(rss)/1024, float64(rss-base)/float64(n))
	return nil
}
