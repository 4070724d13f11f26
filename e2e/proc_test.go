package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lineLog collects a stream's lines and lets tests wait for a condition on
// them with a deadline.
type lineLog struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every append and at EOF
	eof     bool
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) readFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
	// Drain whatever follows an over-long line so the writer never blocks.
	_, _ = io.Copy(io.Discard, r)
	l.mu.Lock()
	l.eof = true
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// snapshot returns the lines so far and a channel closed at the next change.
func (l *lineLog) snapshot() ([]string, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...), l.eof, l.changed
}

func (l *lineLog) all() []string {
	lines, _, _ := l.snapshot()
	return lines
}

// waitFor calls cond on every new state of the log until it returns true, the
// stream ends without satisfying it, or the timeout passes.
func (l *lineLog) waitFor(timeout time.Duration, cond func(lines []string) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		lines, eof, changed := l.snapshot()
		if cond(lines) {
			return true
		}
		if eof {
			return false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return cond(l.all())
		}
	}
}

// proc is a child process in its own process group, killed with its
// children at test cleanup.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *lineLog
	stderr *lineLog
	done   chan struct{}
	err    error // exit status, valid once done is closed
}

func startProc(t testing.TB, name, dir string, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	p := &proc{name: name, cmd: cmd, stdout: newLineLog(), stderr: newLineLog(), done: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%s: stdin pipe: %v", name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: stdout pipe: %v", name, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("%s: stderr pipe: %v", name, err)
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start %q: %v", name, argv, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); p.stdout.readFrom(stdout) }()
	go func() { defer readers.Done(); p.stderr.readFrom(stderr) }()
	go func() {
		// Wait only after the pipes are drained, as os/exec requires.
		readers.Wait()
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop ends the process group: SIGTERM, then SIGKILL if it lingers.
func (p *proc) stop() {
	_ = p.stdin.Close()
	if p.exited() {
		p.killGroup(syscall.SIGKILL) // children it may have left behind
		return
	}
	p.killGroup(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.killGroup(syscall.SIGKILL)
		<-p.done
	}
	p.killGroup(syscall.SIGKILL)
}

func (p *proc) killGroup(sig syscall.Signal) {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit on its own.
func (p *proc) wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.name, timeout)
	}
}

// describe is the process's stderr (tail) for failure messages.
func (p *proc) describe() string {
	lines := p.stderr.all()
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s stderr:\n", p.name)
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	if p.exited() {
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			fmt.Fprintf(&b, "  (exit: %v)\n", ee)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
