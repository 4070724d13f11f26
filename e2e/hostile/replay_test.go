package hostile

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReplayEscapesHostileRecording: a recording of a hostile session,
// replayed headless, shows the wire text escaped as the live output did.
func TestReplayEscapesHostileRecording(t *testing.T) {
	up := hostileUpstream(t)
	rec := filepath.Join(t.TempDir(), "hostile.jsonl")
	sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--json", "--record", rec)
	driveHostile(t, sp.url, up)
	sp.stdout.waitFor(t, "the client's event", func(ls []string) bool {
		return strings.Contains(strings.Join(ls, "\n"), `"dir":"c2s","eio":4,"engine":"message","size"`)
	})
	sp.signal(syscall.SIGINT)
	if code := sp.wait(t); code != 0 {
		t.Fatalf("recording run exited %d:\n%s", code, tail(sp.stderr.lines(), 10))
	}
	out, err := exec.Command(sioproxyBin, "replay", rec, "--no-tui").CombinedOutput()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	auditOutput(t, out, true)
	if !strings.Contains(string(out), "session open sid=/x"+visible) {
		t.Errorf("replay does not show the sid escaped:\n%s", out)
	}
}
