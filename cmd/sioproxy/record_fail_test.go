package main

import (
	"context"
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

// A recording that can no longer be written (here the file size limit,
// EFBIG; a full disk fails the same way) stops the recording, not the
// proxy: the user is told on stderr while the proxy runs, the traffic
// keeps flowing, and the exit status says it failed.
func TestRecordWriteErrorIsReportedAtOnce(t *testing.T) {
	app := testApp(t, false)
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	var stderr syncBuffer
	// ulimit -f counts 512- or 1024-byte blocks depending on the shell;
	// either way the header fits and a few sessions do not.
	cmd := exec.Command("sh", "-c", `ulimit -f 16 && exec "$0" -test.run='^TestRecordHelperProcess$'`, os.Args[0])
	cmd.Env = append(os.Environ(), helperArgs+"="+strings.Join([]string{"--target", app, "--listen", "127.0.0.1:0", "--json", "--record", rec}, "\n"))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		cmd.Wait()
		done <- cmd.ProcessState.ExitCode()
	}()
	kill := func() { cmd.Process.Signal(syscall.SIGTERM) }
	addr := waitListening(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), &stderr, kill, done)
	defer kill()

	want := "--record stopped: write recording: write " + rec + ": file too large (traffic is still relayed)"
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("no report of the failed recording while running; stderr:\n%s", stderr.String())
		}
		driveClient(t, addr, sioclient.PollingThenUpgrade)
		time.Sleep(50 * time.Millisecond)
	}
	// The proxy still relays after the recording stopped.
	driveClient(t, addr, sioclient.WebSocketOnly)
	kill()
	if code := <-done; code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sioproxy: --record: write recording: write "+rec+": file too large\n") {
		t.Errorf("the exit message does not name the error:\n%s", stderr.String())
	}
	if testing.Verbose() {
		t.Log(stderr.String())
	}
	if fi, err := os.Stat(rec); err != nil || fi.Size() == 0 {
		t.Errorf("recording %v %v: the part written before the limit should stay", fi, err)
	}
}
