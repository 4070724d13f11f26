// Command soak runs sioproxy under mixed traffic for a long time and
// samples its resident memory and goroutines, to show that neither grows:
//
//	go run ./internal/soak -duration 30m        # needs node, e2e/node_modules, tmux
//
// Each mode gets its own sioproxy in front of one socket.io echo server
// (internal/loadbench/echo.js): "tui" runs the terminal UI in a detached
// tmux session, "headless" prints --json to a pipe that is read and
// checked. The traffic per proxy: polling-only and WebSocket clients doing
// echo round trips with small JSON and 64 KiB binary payloads (every echo
// is compared with what was sent), a client that reconnects every second,
// and one hostile client cycling through unfinished 4 MiB frames, slow
// headers, 10,000-deep nesting, 1 MB events and garbage frames.
//
// Every -sample it prints RSS and goroutines (from SIOPROXY_PPROF); at the
// end a table, with the RSS spread after -warmup (goal: within ±10% of its
// mean), the goroutines once the traffic stopped (goal: back to the
// baseline measured before it) and the relay errors (goal: none). It is a
// benchmark, not a test: it asserts nothing and exits 0. With -memstats each
// sample also shows what the runtime's memory figures were (the soft limit
// in force, live heap, heap goal, released and free heap, non-heap memory,
// the cycles so far and how many the pacer started; SIOPROXY_PPROF's
// /debug/memory), to tell which of them RSS followed.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	dur := flag.Duration("duration", 30*time.Minute, "how long the traffic runs")
	every := flag.Duration("sample", 10*time.Second, "sampling interval")
	// Closed sessions stay in the decoder's and the diagnosis engine's
	// state for 2 minutes (decode/session Retain, decode/diagnose retain),
	// and the reconnecting client ends one a second: the headless live
	// heap grows until about 2m20s, so a 2-minute cut counted a sample
	// still on that ramp.
	warm := flag.Duration("warmup", 3*time.Minute, "samples before this are not in the spread (longer than the 2-minute session retention)")
	modes := flag.String("modes", "tui,headless", "comma-separated: tui, headless (run side by side)")
	prebuilt := flag.String("bin", "", "sioproxy binary (default: build ./cmd/sioproxy)")
	extra := flag.String("args", "", "extra sioproxy arguments, space-separated (e.g. --mem-budget 128MiB)")
	flag.BoolVar(&memStats, "memstats", false, "print the runtime's memory figures (limit, live heap, goal, released, free, non-heap, in MiB) with each sample")
	flag.Parse()
	if err := mainErr(*dur, *every, *warm, strings.Split(*modes, ","), *prebuilt, strings.Fields(*extra)); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func mainErr(dur, every, warm time.Duration, modes []string, bin string, extra []string) error {
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sioproxy-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "sioproxy")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/sioproxy")
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	echo, echoURL, err := startEcho(repo)
	if err != nil {
		return err
	}
	defer echo.kill()

	var runs []*run
	for _, m := range modes {
		r, err := startProxy(m, bin, echoURL, tmp, extra)
		if err != nil {
			return err
		}
		defer r.stop()
		runs = append(runs, r)
	}
	fmt.Printf("soak: %s of traffic, samples every %s, modes %s\n", dur, every, strings.Join(modes, ", "))
	for _, r := range runs {
		r.baseGoroutines = r.goroutines()
		fmt.Printf("soak: %s: pid %d, RSS %d MiB and %d goroutines before traffic\n", r.mode, r.pid, r.rss()>>20, r.baseGoroutines)
	}

	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); r.traffic(ctx) }()
	}
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-tick.C:
			for _, r := range runs {
				s := sample{at: time.Since(start).Round(time.Second), rss: r.rss(), goroutines: r.goroutines(), errors: r.errors.Load(), rtts: r.rtts.Load()}
				r.samples = append(r.samples, s)
				fmt.Printf("%-8s %8s  RSS %4d MiB  goroutines %5d  round trips %8d  relay errors %d\n", r.mode, s.at, s.rss>>20, s.goroutines, s.rtts, s.errors)
				if memStats {
					fmt.Printf("%-8s %8s  %s\n", r.mode, s.at, memoryOf(r.pprof))
				}
			}
		}
	}
	wg.Wait()
	// Clients are gone: goroutines must come back to the baseline once
	// the server has noticed (ping timeout at most).
	for _, r := range runs {
		r.endGoroutines = r.settledGoroutines(2 * time.Minute) // idle upstream connections live 90 s
	}
	for _, r := range runs {
		r.report(warm)
	}
	return nil
}

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

// child is a process in its own group.
type child struct{ cmd *exec.Cmd }

func (c *child) kill() {
	if c.cmd.Process != nil {
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		c.cmd.Wait()
	}
}

func startEcho(repo string) (*child, string, error) {
	mods := filepath.Join(repo, "e2e", "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "socket.io")); err != nil {
		return nil, "", fmt.Errorf("socket.io is not installed in %s: run (cd e2e && npm ci)", mods)
	}
	cmd := exec.Command("node", filepath.Join(repo, "internal", "loadbench", "echo.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd}
	line, err := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`"listening":(\d+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		c.kill()
		return nil, "", fmt.Errorf("echo server: %q %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return c, "http://127.0.0.1:" + m[1], nil
}

var (
	listenRE = regexp.MustCompile(`listening on https?://([^\s,;]+)`)
	pprofRE  = regexp.MustCompile(`pprof on http://([^/\s]+)/`)
)

// waitFile waits until the file at path matches every regexp.
func waitFile(path string, res ...*regexp.Regexp) ([][]string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		var out [][]string
		for _, re := range res {
			if m := re.FindStringSubmatch(string(b)); m != nil {
				out = append(out, m)
			}
		}
		if len(out) == len(res) {
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s never showed %v:\n%s", path, res, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// goroutinesOf reads the total from the pprof goroutine profile.
func goroutinesOf(pprofAddr string) int {
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "goroutine profile: total")))
	if err != nil {
		return -1
	}
	return n
}

// memStats adds the proxy's memory figures to each sample (-memstats).
var memStats bool

// memoryOf reads the proxy's /debug/memory line (gcpace.WriteStats) and
// shows its byte counts in MiB.
func memoryOf(pprofAddr string) string {
	resp, err := http.Get("http://" + pprofAddr + "/debug/memory")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	var out []string
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && k != "cycles" && k != "started" {
			f = fmt.Sprintf("%s %.1f", k, float64(n)/(1<<20))
		}
		out = append(out, f)
	}
	return strings.Join(out, "  ")
}

// goroutineDump is the pprof goroutine profile, grouped by stack.
func goroutineDump(pprofAddr string) string {
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}
