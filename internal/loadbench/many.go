package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// manyOpts configure the many-connections run.
type manyOpts struct {
	idle, active int
	rate         float64 // EVENTs per second per active connection
	dur          time.Duration
	direct       bool   // connect to the echo server itself, without sioproxy
	event        string // "echo" (acked with its argument) or "tick" (acked empty)
}

// manyConns holds idle WebSocket sessions through one sioproxy (with
// --json to a file) and, next to them, active ones that each send rate
// EVENTs a second, open loop, for dur. It reports sioproxy's RSS idle and
// under the load, the CPU of sioproxy, of the node server and of this
// load generator, the EVENTs sent and acked, and whether every EVENT and
// ACK reached the output. With direct it measures the node server and the
// generator alone, which shows what the machine has left for a proxy.
//
// sioproxy holds two descriptors per connection and the machine's hard
// limit is 20,000, so idle+active must stay below about 9,900; the load
// generator and the node server hold one each, in their own processes.
func manyConns(ctx context.Context, bin, tmp string, echo *proc, o manyOpts) error {
	out := filepath.Join(tmp, "many.jsonl")
	target, label := echo.url, "directly to the node server (no proxy)"
	var p *proc
	if !o.direct {
		var err error
		if p, err = startSioproxy(bin, echo.url, out); err != nil {
			return err
		}
		defer p.stop()
		defer os.Remove(out)
		target, label = p.url, "through sioproxy (--json to a file)"
	}
	rss := func(field string) int64 {
		if p == nil {
			return 0
		}
		return memKB(p.pid(), field)
	}
	time.Sleep(200 * time.Millisecond)
	base := rss("VmRSS")

	st := &leanStats{}
	all := make([]*leanConn, o.idle+o.active)
	defer func() {
		for _, c := range all {
			if c != nil {
				c.Close()
			}
		}
	}()
	t0 := time.Now()
	if err := dialAll(ctx, target, st, all[:o.idle]); err != nil {
		return fmt.Errorf("idle connections: %w", err)
	}
	opened := time.Since(t0)
	time.Sleep(2 * time.Second)
	idleRSS := rss("VmRSS")
	if err := dialAll(ctx, target, st, all[o.idle:]); err != nil {
		return fmt.Errorf("active connections: %w", err)
	}
	act := all[o.idle:]

	arg := `{"op":"get","key":"user:42","n":1}`
	var missed atomic.Int64
	cpu := newCPUWatch(p, echo)
	start := time.Now().Add(100 * time.Millisecond)
	stop := start.Add(o.dur)
	drive(act, o.rate, start, stop, 8, o.event, arg, &missed)
	elapsed := time.Since(start)
	sent := st.sent.Load()
	ackedAtStop := st.acked.Load()
	// ACKs still in flight: wait for them (bounded), then for the proxy to
	// finish what the load queued.
	for end := time.Now().Add(15 * time.Second); st.acked.Load() < sent && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	if p != nil {
		settledCPU(p.pid())
	}
	use := cpu.read()
	peak := rss("VmHWM")
	alive := 0
	for _, c := range all {
		if c.alive() {
			alive++
		}
	}
	// Clients first, so sioproxy does not tear 10,000 relays down itself,
	// and time for it to write all it holds.
	for _, c := range all {
		c.Close()
	}
	all = nil
	var c completeness
	var cerr error
	if p != nil {
		p.grace = 2 * time.Minute
		p.stop()
		c, cerr = countJSON(out)
	}
	acked := st.acked.Load()
	fmt.Printf("\n%d idle + %d active WebSockets %s, each active one sending %.0f %q EVENTs/s for %s (lean Go generator, open loop):\n",
		o.idle, o.active, label, o.rate, o.event, o.dur)
	if p != nil && o.idle > 0 {
		fmt.Printf("  idle connections opened in %s; sioproxy RSS %.1f MiB → %.1f MiB idle = %.1f KiB per idle connection; peak RSS %.1f MiB\n",
			opened.Round(time.Millisecond), float64(base)/1024, float64(idleRSS)/1024, float64(idleRSS-base)/float64(max(o.idle, 1)), float64(peak)/1024)
	} else if p != nil {
		fmt.Printf("  sioproxy peak RSS %.1f MiB\n", float64(peak)/1024)
	} else if o.idle > 0 {
		fmt.Printf("  idle connections opened in %s\n", opened.Round(time.Millisecond))
	}
	fmt.Printf("  offered %.0f EVENTs/s: sent %d (%.0f/s; %d not sent, the generator being behind), acked %d (%d by the end of sending, %.0f/s), %d write errors; p50 %s p99 %s; %d pongs; %d of %d connections alive at the end\n",
		o.rate*float64(o.active), sent, float64(sent)/elapsed.Seconds(), missed.Load(), acked, ackedAtStop, float64(acked)/elapsed.Seconds(),
		st.writeErrs.Load(), st.lat.quantile(0.5), st.lat.quantile(0.99), st.pongs.Load(), alive, o.idle+o.active)
	msgs := float64(2 * max(acked, 1)) // an EVENT and its ACK
	fmt.Printf("  CPU over %.1f s, in cores: machine %.2f of %d (others' processes included); ", use.wall, use.machine/use.wall, use.ncpu)
	if p != nil {
		fmt.Printf("sioproxy %.2f (%.1f ms per 1k messages); ", use.proxy/use.wall, use.proxy/msgs*1e6)
	}
	fmt.Printf("node %.2f (%.1f ms per 1k messages); generator %.2f (%.1f ms per 1k messages)\n",
		use.node/use.wall, use.node/msgs*1e6, use.gen/use.wall, use.gen/msgs*1e6)
	if p == nil {
		return nil
	}
	if cerr != nil {
		return fmt.Errorf("counting --json: %w", cerr)
	}
	fmt.Printf("  --json: %d EVENTs and %d ACKs printed of %d and %d; %d observations dropped\n", c.events, c.acks, sent, acked, c.dropped)
	if *verbose {
		printDropLines(out, 5)
	}
	return nil
}

// dialAll fills conns with sessions, dialing from a few goroutines at
// once (one by one, 10,000 sessions took 25 s).
func dialAll(ctx context.Context, target string, st *leanStats, conns []*leanConn) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(conns) {
					return
				}
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				c, err := dialLean(dctx, target, st)
				cancel()
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("connection %d of %d: %w", i+1, len(conns), err)
					}
					mu.Unlock()
					next.Store(int64(len(conns))) // stop the others
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	return first
}

// cpuWatch reads, between its start and read, the CPU seconds of the
// proxy, the node server, this process and the whole machine.
type cpuWatch struct {
	p, echo                 *proc
	t0                      time.Time
	proxy0, node0, gen0, m0 float64
}

type cpuUse struct {
	wall, proxy, node, gen, machine float64
	ncpu                            int
}

func newCPUWatch(p, echo *proc) *cpuWatch {
	w := &cpuWatch{p: p, echo: echo, t0: time.Now()}
	w.proxy0, w.node0, w.gen0, w.m0 = w.now()
	return w
}

func (w *cpuWatch) now() (proxy, node, gen, machine float64) {
	if w.p != nil {
		proxy = cpuSeconds(w.p.pid())
	}
	node = cpuSeconds(w.echo.pid())
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		gen = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	machine, _ = machineCPU()
	return
}

func (w *cpuWatch) read() cpuUse {
	p, n, g, m := w.now()
	_, ncpu := machineCPU()
	return cpuUse{wall: time.Since(w.t0).Seconds(), proxy: p - w.proxy0, node: n - w.node0, gen: g - w.gen0, machine: m - w.m0, ncpu: ncpu}
}

// machineCPU is the busy CPU seconds of all CPUs since boot (/proc/stat:
// everything but idle and iowait) and the number of CPUs.
func machineCPU() (float64, int) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	var busy int64
	ncpu := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "cpu" {
			for i, v := range f[1:] {
				if i == 3 || i == 4 { // idle, iowait
					continue
				}
				n, _ := strconv.ParseInt(v, 10, 64)
				busy += n
			}
		} else if strings.HasPrefix(f[0], "cpu") {
			ncpu++
		}
	}
	return float64(busy) / clkTck, ncpu
}

// printDropLines prints the first n drop lines of a --json file (-v), so
// a run with drops says where they were counted.
func printDropLines(path string, n int) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() && n > 0 {
		if bytes.Contains(sc.Bytes(), kindDrop) {
			fmt.Printf("  %s\n", sc.Bytes())
			n--
		}
	}
}
