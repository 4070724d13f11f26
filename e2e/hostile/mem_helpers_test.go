package hostile

// Helpers of the memory and network tests (mem_*_test.go). Every name
// starts with mem so this file cannot clash with the suite's shared
// harness.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// memWait bounds every wait for a state; it guards against hangs only.
const memWait = 90 * time.Second

// memRepo is the repository root (the tests run in e2e/hostile).
func memRepo(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// memBinary is the sioproxy the suite's TestMain built (without -race:
// these tests measure the resident memory of the real thing, which the
// race detector multiplies).
func memBinary(t testing.TB) string {
	if runtime.GOOS != "linux" {
		t.Skip("the memory tests read /proc")
	}
	if sioproxyBin == "" {
		t.Fatal("no sioproxy binary (TestMain did not build one)")
	}
	return sioproxyBin
}

// memLines collects a child's output lines.
type memLines struct {
	mu    sync.Mutex
	lines []string
	bytes int64
	keep  bool // keep the lines (else only count them)
	cond  *sync.Cond
	done  bool
}

func newMemLines(keep bool) *memLines {
	l := &memLines{keep: keep}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *memLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		l.mu.Lock()
		if l.keep {
			l.lines = append(l.lines, sc.Text())
		}
		l.bytes += int64(len(sc.Bytes()) + 1)
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	io.Copy(io.Discard, r) // a line over 64 MiB: keep draining
	l.mu.Lock()
	l.done = true
	l.cond.Broadcast()
	l.mu.Unlock()
}

func (l *memLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// waitFor waits until a line matches re and returns its submatches.
func (l *memLines) waitFor(t testing.TB, what string, re *regexp.Regexp) []string {
	t.Helper()
	timer := time.AfterFunc(memWait, func() {
		l.mu.Lock()
		l.done = true
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; ; i++ {
		for ; i < len(l.lines); i++ {
			if m := re.FindStringSubmatch(l.lines[i]); m != nil {
				return m
			}
		}
		if l.done {
			t.Fatalf("no %s in:\n%s", what, strings.Join(l.lines, "\n"))
		}
		l.cond.Wait()
		i--
	}
}

// memProc is a child process in its own process group, killed at cleanup.
type memProc struct {
	cmd            *exec.Cmd
	stdout, stderr *memLines
	stdin          io.Closer
	exited         chan struct{}
}

func memStart(t testing.TB, keepStdout bool, dir string, name string, args ...string) *memProc {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Held open until stop: e2e/node/server.js ends when its stdin does.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &memProc{cmd: cmd, stdin: stdin, stdout: newMemLines(keepStdout), stderr: newMemLines(true), exited: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.stdout.read(out) }()
	go func() { defer wg.Done(); p.stderr.read(errp) }()
	go func() { wg.Wait(); cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop ends the process (SIGINT, then SIGKILL) and waits for it.
func (p *memProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.stdin.Close()
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

var memListenRE = regexp.MustCompile(`listening on https?://([^\s,;]+)`)

// memProxy starts sioproxy headless in front of target and returns it and
// its address.
func memProxy(t testing.TB, keepStdout bool, target string, args ...string) (*memProc, string) {
	t.Helper()
	argv := append([]string{"--listen", "127.0.0.1:0", "--target", target}, args...)
	p := memStart(t, keepStdout, memRepo(t), memBinary(t), argv...)
	m := p.stderr.waitFor(t, "listening line on stderr", memListenRE)
	return p, m[1]
}

// memRSS is the resident set of pid in bytes.
func memRSS(t testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("reading RSS: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// memPeak samples the RSS of pid until stop is called and returns the
// largest value seen.
func memPeak(t testing.TB, pid int) (stop func() int64) {
	ctx, cancel := context.WithCancel(context.Background())
	var peak int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err == nil {
				if i := bytes.Index(b, []byte("VmRSS:")); i >= 0 {
					f := strings.Fields(string(b[i:min(len(b), i+64)]))
					if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb<<10 > peak {
						peak = kb << 10
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() int64 { cancel(); <-done; return peak }
}

// memE2EDir is e2e/, where node_modules and the node scripts live.
func memE2EDir(t testing.TB) string {
	d := filepath.Join(memRepo(t), "e2e")
	if _, err := os.Stat(filepath.Join(d, "node_modules", "socket.io", "package.json")); err != nil {
		t.Fatalf("e2e/node_modules lacks socket.io: run `npm ci` in e2e/ (%v)", err)
	}
	return d
}

// memSioServer starts e2e/node/server.js (socket.io 4) with cfg and returns
// its base URL.
func memSioServer(t testing.TB, cfg map[string]any) string {
	t.Helper()
	if cfg == nil {
		cfg = map[string]any{}
	}
	cfg["port"] = 0
	b, _ := json.Marshal(cfg)
	p := memStart(t, true, memE2EDir(t), "node", "node/server.js", string(b))
	m := p.stdout.waitFor(t, "listening line of server.js", regexp.MustCompile(`"listening":(\d+)`))
	// The server logs every packet: stop keeping them.
	p.stdout.mu.Lock()
	p.stdout.keep, p.stdout.lines = false, nil
	p.stdout.mu.Unlock()
	return "http://127.0.0.1:" + m[1]
}

// memNode runs a node script (socket.io-client available) to its end and
// returns its stdout; a non-zero exit fails the test.
func memNode(t testing.TB, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*memWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e", script)
	cmd.Dir = memE2EDir(t)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("node script: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	return out.String()
}

// memJSONLines checks that every line is one JSON object and returns them.
func memJSONLines(t testing.TB, lines []string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("--json line %d is not valid JSON (%v): %.300q", i+1, err, l)
		}
		out = append(out, m)
	}
	return out
}

const memMiB = 1 << 20
