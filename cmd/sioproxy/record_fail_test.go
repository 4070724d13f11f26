package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

// helperArgs carries run's arguments to the child process of
// TestRecordWriteErrorIsReportedAtOnce, one per line.
const helperArgs = "SIOPROXY_TEST_HELPER_ARGS"

// TestRecordHelperProcess is sioproxy itself in a child process, so that
// the child can run under a file size limit without limiting this one.
func TestRecordHelperProcess(t *testing.T) {
	args := os.Getenv(helperArgs)
	if args == "" {
		t.Skip("run by TestRecordWriteErrorIsReportedAtOnce")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := run(ctx, strings.Split(args, "\n"), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// limitedChild is sioproxy run by TestRecordHelperProcess under a file
// size limit small enough that a few sessions of output exceed it.
type limitedChild struct {
	addr   string
	stderr *syncBuffer
	done   chan int
	kill   func()
}

func startLimited(t *testing.T, stdout io.Writer, args ...string) *limitedChild {
	t.Helper()
	c := &limitedChild{stderr: new(syncBuffer), done: make(chan int, 1)}
	// ulimit -f counts 512- or 1024-byte blocks depending on the shell;
	// either way a recording's header fits and a few sessions do not.
	cmd := exec.Command("sh", "-c", `ulimit -f 16 && exec "$0" -test.run='^TestRecordHelperProcess$'`, os.Args[0])
	cmd.Env = append(os.Environ(), helperArgs+"="+strings.Join(append([]string{"--listen", "127.0.0.1:0"}, args...), "\n"))
	cmd.Stdout, cmd.Stderr = stdout, c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		c.done <- cmd.ProcessState.ExitCode()
	}()
	c.kill = func() { cmd.Process.Signal(syscall.SIGTERM) }
	t.Cleanup(c.kill)
	c.addr = waitListening(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), c.stderr, c.kill, c.done)
	return c
}

// driveUntil drives sessions through the child until its stderr says want.
func (c *limitedChild) driveUntil(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(c.stderr.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q while running; stderr:\n%s", want, c.stderr.String())
		}
		driveClient(t, c.addr, sioclient.PollingThenUpgrade)
		time.Sleep(50 * time.Millisecond)
	}
}

// A recording that can no longer be written (here the file size limit,
// EFBIG; a full disk fails the same way) stops the recording, not the
// proxy: the user is told on stderr while the proxy runs, the traffic
// keeps flowing, and the exit status says it failed.
func TestRecordWriteErrorIsReportedAtOnce(t *testing.T) {
	app := testApp(t, false)
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	c := startLimited(t, nil, "--target", app, "--json", "--record", rec)
	c.driveUntil(t, "--record stopped: write recording: write "+rec+": file too large (traffic is still relayed)")
	// The proxy still relays after the recording stopped.
	driveClient(t, c.addr, sioclient.WebSocketOnly)
	c.kill()
	if code := <-c.done; code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, c.stderr.String())
	}
	if !strings.Contains(c.stderr.String(), "sioproxy: --record: write recording: write "+rec+": file too large\n") {
		t.Errorf("the exit message does not name the error:\n%s", c.stderr.String())
	}
	if fi, err := os.Stat(rec); err != nil || fi.Size() == 0 {
		t.Errorf("recording %v %v: the part written before the limit should stay", fi, err)
	}
}

// The same for the headless output itself: --json into a file that can no
// longer grow is reported at once, and the proxy goes on relaying.
func TestOutputWriteErrorIsReportedAtOnce(t *testing.T) {
	app := testApp(t, false)
	out, err := os.Create(filepath.Join(t.TempDir(), "out.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	c := startLimited(t, out, "--target", app, "--json")
	c.driveUntil(t, "sioproxy: output stopped: write /dev/stdout: file too large (traffic is still relayed)")
	driveClient(t, c.addr, sioclient.WebSocketOnly)
	c.kill()
	if code := <-c.done; code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, c.stderr.String())
	}
	if n := strings.Count(c.stderr.String(), "output stopped"); n != 1 {
		t.Errorf("told %d times, want once:\n%s", n, c.stderr.String())
	}
}
