// Command loadbench measures sioproxy against a direct connection, against
// the floor proxy and against nginx as a plain reverse proxy, on the same
// socket.io echo server:
//
//	go run ./internal/loadbench            # needs node, e2e/node_modules, nginx
//
// The floor proxy is net/http's Server in front of an httputil.ReverseProxy
// that decodes nothing: the stack the reverse-proxy issue mandates, by
// itself. WebSockets go through ReverseProxy's built-in 101 handling, a
// plain byte copy as sioproxy's own relay is without its tap. Floor is the
// lower bound for any proxy built on that stack, so sioproxy's distance from
// floor is what decoding and recording cost, and floor's distance from nginx
// is what the standard library costs. The benchmark runs it as a child
// process (loadbench -serve-floor TARGET) so its CPU and RSS are measured as
// sioproxy's and nginx's are.
//
// For each load it prints round trips/s, p50 and p99 latency, the proxy's
// CPU time per 1,000 round trips and its peak RSS, with ratios to direct and
// to nginx; then latency at half the peak load and memory per idle
// WebSocket connection. It is a benchmark, not a test: it asserts nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	dur := flag.Duration("duration", 5*time.Second, "duration of each load per mode")
	conns := flag.Int("conns", 20, "concurrent connections per load")
	rounds := flag.Int("rounds", 1, "run every mode and load this many times, modes alternating, and add the rounds up (the ratios of each round are printed too): on a shared machine the load of the moment then falls on every mode alike")
	idle := flag.Int("idle", 9900, "idle WebSocket connections to hold through sioproxy (0 to skip); each costs sioproxy two file descriptors")
	only := flag.String("loads", "ws-small,ws-64k,poll-small,poll-64k", "comma-separated loads to run")
	prebuilt := flag.String("bin", "", "use this sioproxy binary instead of building ./cmd/sioproxy")
	modes := flag.String("modes", strings.Join(defaultModes, ","), "comma-separated modes to run, of "+strings.Join(modeOrder, ",")+" (relay: sioproxy relaying without observing, its cost before decoding; sioproxy inherits SIOPROXY_PPROF for profiling)")
	floorTarget := flag.String("serve-floor", "", "internal: serve the floor proxy to this target until killed")
	many := flag.Int("many-idle", 0, "with -many-active: idle WebSockets held next to the active ones (idle+active ≤ 9,900: sioproxy's two descriptors each)")
	manyActive := flag.Int("many-active", 0, "active WebSockets for the many-connections run (0 to skip it)")
	manyRate := flag.Float64("many-rate", 10, "EVENTs per second each active WebSocket sends")
	manyDur := flag.Duration("many-duration", 20*time.Second, "duration of the many-connections run")
	manyDirect := flag.Bool("many-direct", false, "run the many-connections load against the node server itself, without sioproxy (what the server and the generator cost alone)")
	manyEvent := flag.String("many-event", "echo", `event the many-connections run emits: "echo" (acked with its argument) or "tick" (acked with nothing)`)
	replayMB := flag.Int("replay-mb", 0, "replay a synthetic recording of this many MiB with sioproxy replay --json (0 to skip)")
	rateFlag := flag.String("rate", "", `offer each load a fixed rate instead of as many round trips as the connections can do, as load=rt/s pairs ("ws-small=5000,poll-small=1500"): every mode then does the same work, so CPU per round trip compares cost without the throughput of the moment in it`)
	replayFile := flag.String("replay-file", "", "with -replay-mb: keep the recording at this path, and reuse it if it exists")
	verbose = flag.Bool("v", false, "print the TUI's screen after each tui load")
	flag.Parse()
	if *floorTarget != "" {
		fmt.Fprintln(os.Stderr, "loadbench:", serveFloor(*floorTarget))
		os.Exit(1)
	}
	manyRun = func(ctx context.Context, bin, tmp string, echo *proc) error {
		if *manyActive <= 0 {
			return nil
		}
		if *manyEvent != "echo" && *manyEvent != "tick" {
			return fmt.Errorf("-many-event %q: want echo or tick", *manyEvent)
		}
		if *manyRate <= 0 {
			return fmt.Errorf("-many-rate %v: want a positive rate", *manyRate)
		}
		return manyConns(ctx, bin, tmp, echo, manyOpts{idle: *many, active: *manyActive, rate: *manyRate, dur: *manyDur, direct: *manyDirect, event: *manyEvent})
	}
	replayRunFn = func(bin, tmp string) error {
		if *replayMB <= 0 {
			return nil
		}
		return replayRun(bin, tmp, *replayFile, *replayMB)
	}
	if *rounds < 1 {
		fmt.Fprintf(os.Stderr, "loadbench: -rounds %d: want at least 1\n", *rounds)
		os.Exit(2)
	}
	rates, err := parseRates(*rateFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(2)
	}
	if err := mainErr(*dur, *conns, *idle, *rounds, *only, *modes, *prebuilt, rates); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

var (
	verbose     = new(bool)
	manyRun     = func(context.Context, string, string, *proc) error { return nil }
	replayRunFn = func(string, string) error { return nil }
)

func repoRoot() (string, error) {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run from inside the sioproxy repository")
		}
		dir = parent
	}
}

// modeOrder is the order modes run in and the table lists them.
var modeOrder = []string{"direct", "sioproxy", "relay", "tui", "floor", "nginx", "mitmdump"}

// defaultModes is what runs without -modes. relay, sioproxy with
// observation off, only splits sioproxy's cost into relaying and the
// rest: asked for when that question is.
var defaultModes = []string{"direct", "sioproxy", "tui", "floor", "nginx", "mitmdump"}

type modeResult struct {
	res    map[string]result
	cpu    map[string]float64 // proxy CPU seconds per 1,000 round trips
	cpuSec map[string]float64 // proxy CPU seconds in all (for adding rounds up)
	peakKB int64
}

func newModeResult() *modeResult {
	return &modeResult{res: map[string]result{}, cpu: map[string]float64{}, cpuSec: map[string]float64{}}
}

// add adds one round's figures for load l to m.
func (m *modeResult) add(l string, r result, cpuSec float64, peakKB int64) {
	m.res[l] = m.res[l].merge(r)
	m.cpuSec[l] += cpuSec
	if n := m.res[l].rtts; n > 0 {
		m.cpu[l] = m.cpuSec[l] / float64(n) * 1000
	}
	m.peakKB = max(m.peakKB, peakKB)
}

func mainErr(dur time.Duration, conns, idle, rounds int, only, onlyModes, prebuilt string, rates map[string]float64) error {
	ctx := context.Background()
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "loadbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := prebuilt
	if bin == "" {
		bin = filepath.Join(tmp, "sioproxy")
		build := exec.Command("go", "build", "-o", bin, "./cmd/sioproxy")
		build.Dir, build.Stdout, build.Stderr = repo, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building sioproxy: %w", err)
		}
	}
	echo, err := startEcho(repo)
	if err != nil {
		return err
	}
	defer echo.stop()

	var ls []load
	for _, l := range loads() {
		if strings.Contains(","+only+",", ","+l.name+",") {
			ls = append(ls, l)
		}
	}
	all := map[string]*modeResult{}
	var perRound []map[string]*modeResult
	var compl []completenessRow
	for round := 0; round < rounds; round++ {
		if rounds > 1 {
			fmt.Fprintf(os.Stderr, "round %d of %d\n", round+1, rounds)
		}
		this := map[string]*modeResult{}
		perRound = append(perRound, this)
		for _, mode := range modeOrder {
			if !strings.Contains(","+onlyModes+",", ","+mode+",") {
				continue
			}
			mr := newModeResult()
			for _, l := range ls {
				// A fresh proxy (and --json file) per load: a load then pays
				// for its own work only, not for a multi-gigabyte file or an
				// output backlog left by the load before it.
				out := filepath.Join(tmp, "out-"+l.name+".jsonl")
				var p *proc
				switch mode {
				case "sioproxy":
					p, err = startSioproxy(bin, echo.url, out)
				case "relay":
					p, err = startRelay(bin, echo.url)
				case "tui":
					p, err = startTUI(bin, echo.url)
				case "mitmdump":
					p, err = startMitm(echo.url, out)
				case "floor":
					p, err = startFloor(echo.url)
				case "nginx":
					p, err = startNginx(echo.url)
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "loadbench: skipping %s: %v\n", mode, err)
					break
				}
				base := echo.url
				if p != nil {
					base = p.url
				}
				var before float64
				if p != nil {
					before = cpuSeconds(p.pid())
				}
				r, err := run(ctx, base, l, conns, dur, rates[l.name])
				if err != nil {
					p.stop()
					return fmt.Errorf("%s: %w", mode, err)
				}
				var cpuSec float64
				var peak int64
				if p != nil {
					// Work the load queued (decoding, output) counts too.
					cpuSec = settledCPU(p.pid()) - before
					peak = memKB(p.pid(), "VmHWM")
				}
				mr.add(l.name, r, cpuSec, peak)
				if p != nil {
					var c completeness
					var cerr error
					if mode == "tui" {
						var screen string
						c, screen, cerr = countTUI(p)
						if *verbose {
							fmt.Fprintf(os.Stderr, "%s\n", screen)
						}
					}
					p.stop() // sioproxy writes what it still holds before it exits
					if mode == "sioproxy" {
						c, cerr = countJSON(out)
					}
					if cerr != nil {
						fmt.Fprintf(os.Stderr, "loadbench: %s %s: counting the output: %v\n", mode, l.name, cerr)
					} else if mode == "sioproxy" || mode == "tui" {
						c.sent, c.acked, c.cpuPer1k = r.sent, r.rtts, mr.cpu[l.name]
						compl = append(compl, completenessRow{load: l.name, c: c})
					}
				}
				fmt.Fprintf(os.Stderr, "  %-8s %-10s %8.0f rt/s  p50 %v  p99 %v  errors %d\n", mode, l.name, r.rps(), r.p50, r.p99, r.errors)
				if info, _ := os.Stat(out); info != nil {
					fmt.Fprintf(os.Stderr, "  %s wrote %d bytes of output\n", mode, info.Size())
					os.Remove(out)
				}
			}
			if len(mr.res) > 0 {
				this[mode] = mr
				if all[mode] == nil {
					all[mode] = newModeResult()
				}
				for _, l := range ls {
					if r, ok := mr.res[l.name]; ok {
						all[mode].add(l.name, r, mr.cpuSec[l.name], mr.peakKB)
					}
				}
			}
		}
	}
	if len(all) > 0 {
		if rounds > 1 {
			fmt.Printf("All %d rounds added up:\n\n", rounds)
		}
		if len(rates) > 0 {
			fmt.Printf("Offered rates (round trips/s, all connections): %s\n\n", formatRates(ls, rates))
		}
		printTable(ls, all)
		printRatios(ls, all)
		if rounds > 1 {
			printRoundRatios(ls, perRound)
		}
		printCompleteness(mergeCompleteness(compl))
	}

	if d, s := all["direct"], all["sioproxy"]; d != nil && s != nil && s.res["ws-small"].rtts > 0 {
		if err := halfLoad(ctx, bin, tmp, echo.url, conns, dur, s.res["ws-small"].rps()/2); err != nil {
			return err
		}
	}
	if idle > 0 {
		if err := idleConns(ctx, bin, tmp, echo.url, idle); err != nil {
			return err
		}
	}
	if err := manyRun(ctx, bin, tmp, echo); err != nil {
		return err
	}
	return replayRunFn(bin, tmp)
}

// halfLoad compares p99 direct and through sioproxy at the same offered
// load: half of sioproxy's peak on ws-small.
func halfLoad(ctx context.Context, bin, tmp, target string, conns int, dur time.Duration, rate float64) error {
	l := loads()[0]
	d, err := run(ctx, target, l, conns, dur, rate)
	if err != nil {
		return err
	}
	p, err := startSioproxy(bin, target, filepath.Join(tmp, "half.jsonl"))
	if err != nil {
		return err
	}
	defer p.stop()
	s, err := run(ctx, p.url, l, conns, dur, rate)
	if err != nil {
		return err
	}
	fmt.Printf("\nws-small at half of sioproxy's peak (%.0f rt/s offered): direct p50 %s p99 %s; sioproxy p50 %s p99 %s; added p99 %s\n",
		rate, ms(d.p50), ms(d.p99), ms(s.p50), ms(s.p99), ms(s.p99-d.p99))
	return nil
}
