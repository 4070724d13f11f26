package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// A load is one traffic shape of the benchmark.
type load struct {
	name      string
	transport string
	payload   any
}

func loads() []load {
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = byte(i)
	}
	small := map[string]any{"op": "get", "key": "user:42", "n": 1}
	return []load{
		{"ws-small", sioclient.WebSocketOnly, small},
		{"ws-64k", sioclient.WebSocketOnly, big},
		{"poll-small", sioclient.PollingOnly, small},
		{"poll-64k", sioclient.PollingOnly, big},
	}
}

// browserLike is one client's HTTP client, keeping its connections alive
// the way a browser does (up to six per host). Sharing
// http.DefaultTransport, which keeps two idle connections per host, made
// 20 polling clients (a long-poll GET and a POST each) open and close
// connections all the time, which no set of 20 browsers does.
func browserLike() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 6
	return &http.Client{Transport: t}
}

type result struct {
	rtts     int
	elapsed  time.Duration
	p50, p99 time.Duration
	errors   int
	sent     int             // EmitWithAck calls made (round trips and errors)
	lats     []time.Duration // every round trip's latency, sorted
}

// merge adds o, a later round of the same load and mode, to r.
func (r result) merge(o result) result {
	m := result{rtts: r.rtts + o.rtts, elapsed: r.elapsed + o.elapsed, errors: r.errors + o.errors, sent: r.sent + o.sent}
	m.lats = append(append(make([]time.Duration, 0, len(r.lats)+len(o.lats)), r.lats...), o.lats...)
	slices.Sort(m.lats)
	m.p50, m.p99 = percentiles(m.lats)
	return m
}

func percentiles(sorted []time.Duration) (p50, p99 time.Duration) {
	if len(sorted) == 0 {
		return 0, 0
	}
	return sorted[len(sorted)*50/100], sorted[len(sorted)*99/100]
}

func (r result) rps() float64 { return float64(r.rtts) / r.elapsed.Seconds() }

// run drives conns clients doing request/ack round trips for dur. rate > 0
// caps the total round trips per second (open loop, for latency at a
// given load).
func run(ctx context.Context, base string, l load, conns int, dur time.Duration, rate float64) (result, error) {
	clients := make([]*sioclient.Client, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := sioclient.Dial(dctx, base, sioclient.Options{Transport: l.transport, HTTP: browserLike()})
		if err == nil {
			_, err = c.Connect(dctx, "/", nil)
		}
		cancel()
		if err != nil {
			return result{}, fmt.Errorf("%s: client %d: %w", l.name, i, err)
		}
		clients = append(clients, c)
	}
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(dur)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var interval time.Duration
			next := start
			if rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(conns) / rate)
				next = start.Add(time.Duration(i) * interval / time.Duration(conns))
			}
			for {
				if rate > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				if time.Now().After(stop) {
					break
				}
				t0 := time.Now()
				actx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := c.EmitWithAck(actx, "/", "echo", l.payload)
				cancel()
				if err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{rtts: len(lats), elapsed: time.Since(start), errors: errs, sent: len(lats) + errs, lats: lats}
	slices.Sort(lats)
	r.p50, r.p99 = percentiles(lats)
	return r, nil
}
