package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

var (
	replayPctRE = regexp.MustCompile(`replay (\d+)%`)
	rateRE      = regexp.MustCompile(`│ (\d+) pkts/s`)
)

// TestTUIReplayProgress replays a recording of the demo in the terminal UI
// at recorded speed: the status bar must show real progress (below 100%
// while packets still arrive), a packet rate above zero on the replay
// clock, and "replay done" at the end.
func TestTUIReplayProgress(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required for the TUI tests: apt-get install tmux")
	}
	needProxy(t)
	rec := filepath.Join(t.TempDir(), "demo.jsonl")
	if out, err := exec.Command(sioproxyBin, "demo", "--no-tui", "--record", rec, "--duration", "6s").CombinedOutput(); err != nil {
		t.Fatalf("recording the demo: %v: %.2000s", err, out)
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("sioproxy-e2e-%d", time.Now().UnixNano())}
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color %s replay %s", sioproxyBin, rec)
	if out, err := s.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })

	s.waitScreen("replay progress below 100% with packets per second above 0", 30*time.Second, func(scr string) bool {
		m, r := replayPctRE.FindStringSubmatch(scr), rateRE.FindStringSubmatch(scr)
		if m == nil || r == nil {
			return false
		}
		pct, _ := strconv.Atoi(m[1])
		rate, _ := strconv.Atoi(r[1])
		return pct > 0 && pct < 100 && rate > 0
	})
	s.waitScreen("replay done", 60*time.Second, func(scr string) bool { return regexp.MustCompile(`replay done`).MatchString(scr) })
	s.keys("q")
	s.waitExit("q")
}
