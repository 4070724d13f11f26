package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type sample struct {
	at         time.Duration
	rss        int64
	goroutines int
	errors     int64
	rtts       int64
}

// run is one sioproxy under soak.
type run struct {
	mode  string
	pid   int
	addr  string // proxy host:port
	pprof string
	stop  func()

	rtts, errors atomic.Int64
	badLines     atomic.Int64 // headless: output lines that are not JSON
	lines        atomic.Int64

	samples                       []sample
	baseGoroutines, endGoroutines int
}

func (r *run) rss() int64      { return rssOf(r.pid) }
func (r *run) goroutines() int { return goroutinesOf(r.pprof) }

// settledGoroutines waits up to limit for the goroutine count to come
// back to the baseline and returns the last count.
func (r *run) settledGoroutines(limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		n := r.goroutines()
		if n <= r.baseGoroutines || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Second)
	}
}

func startProxy(mode, bin, target, tmp string, extra []string) (*run, error) {
	errFile := filepath.Join(tmp, mode+".stderr")
	args := append([]string{"--listen", "127.0.0.1:0", "--target", target}, extra...)
	r := &run{mode: mode}
	switch mode {
	case "tui":
		socket := fmt.Sprintf("sioproxy-soak-%d", os.Getpid())
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = strconv.Quote(a)
		}
		shell := fmt.Sprintf("exec env SIOPROXY_PPROF=127.0.0.1:0 %s %s 2>%s", strconv.Quote(bin), strings.Join(quoted, " "), strconv.Quote(errFile))
		if out, err := exec.Command("tmux", "-L", socket, "new-session", "-d", "-s", "main", "-x", "200", "-y", "50", shell).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("tmux: %v: %s", err, out)
		}
		r.stop = func() { exec.Command("tmux", "-L", socket, "kill-server").Run() }
		out, err := exec.Command("tmux", "-L", socket, "display", "-p", "-t", "main", "#{pane_pid}").Output()
		if err != nil {
			r.stop()
			return nil, err
		}
		r.pid, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	case "headless":
		cmd := exec.Command(bin, append(args, "--json")...)
		cmd.Env = append(os.Environ(), "SIOPROXY_PPROF=127.0.0.1:0")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		f, err := os.Create(errFile)
		if err != nil {
			return nil, err
		}
		cmd.Stderr = f
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		f.Close()
		go func() {
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 256<<20)
			for sc.Scan() {
				r.lines.Add(1)
				if !json.Valid(sc.Bytes()) {
					r.badLines.Add(1)
				}
			}
		}()
		r.pid = cmd.Process.Pid
		c := &child{cmd}
		r.stop = c.kill
	default:
		return nil, fmt.Errorf("mode %q: want tui or headless", mode)
	}
	m, err := waitFile(errFile, listenRE, pprofRE)
	if err != nil {
		r.stop()
		return nil, err
	}
	r.addr, r.pprof = m[0][1], m[1][1]
	return r, nil
}

// report prints the run's table and verdicts.
func (r *run) report(warm time.Duration) {
	fmt.Printf("\n%s: %d round trips, %d relay errors", r.mode, r.rtts.Load(), r.errors.Load())
	if r.mode == "headless" {
		fmt.Printf(", %d output lines (%d not valid JSON)", r.lines.Load(), r.badLines.Load())
	}
	fmt.Println()
	fmt.Println("| time | RSS MiB | goroutines |")
	fmt.Println("|---:|---:|---:|")
	step := max(1, len(r.samples)/12)
	for i, s := range r.samples {
		if i%step == 0 || i == len(r.samples)-1 {
			fmt.Printf("| %s | %d | %d |\n", s.at, s.rss>>20, s.goroutines)
		}
	}
	var after []int64
	for _, s := range r.samples {
		if s.at >= warm {
			after = append(after, s.rss)
		}
	}
	if len(after) > 0 {
		var sum int64
		for _, v := range after {
			sum += v
		}
		mean := float64(sum) / float64(len(after))
		lo, hi := slices.Min(after), slices.Max(after)
		fmt.Printf("RSS after %s warm-up: mean %.0f MiB, min %+.1f%%, max %+.1f%% (goal ±10%%)\n",
			warm, mean/(1<<20), 100*(float64(lo)-mean)/mean, 100*(float64(hi)-mean)/mean)
		// Drift: a leak shows as a later third above the first; the GC's
		// sawtooth does not.
		if third := len(after) / 3; third > 0 {
			first, last := meanOf(after[:third]), meanOf(after[len(after)-third:])
			fmt.Printf("RSS drift after warm-up: first third %.0f MiB, last third %.0f MiB (%+.1f%%)\n", first/(1<<20), last/(1<<20), 100*(last-first)/first)
		}
	}
	fmt.Printf("goroutines: %d before traffic, %d after it stopped (goal: back to baseline)\n", r.baseGoroutines, r.endGoroutines)
	if r.endGoroutines > r.baseGoroutines {
		fmt.Printf("goroutines still running:\n%s\n", goroutineDump(r.pprof))
	}
}

func meanOf(v []int64) float64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return float64(s) / float64(len(v))
}

func jsonHas(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
