package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/synthrec"
)

// startTUI runs a sioproxy command line in a detached tmux session.
func startTUI(t *testing.T, args string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required for the TUI tests: apt-get install tmux")
	}
	needProxy(t)
	s := &tmuxSession{t: t, socket: fmt.Sprintf("sioproxy-e2e-stats-%d", time.Now().UnixNano())}
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color %s %s", sioproxyBin, args)
	if out, err := s.tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "45", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })
	return s
}

// TestTUIStatsPaneReplay: in `sioproxy replay`, t shows the stats of the
// recording: every event name with its count and ack latency, acks never
// answered, and the sessions.
func TestTUIStatsPaneReplay(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(rec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := synthrec.Write(f, synthrec.Options{Sessions: 3, Messages: 30, Names: []string{"save doc", "load doc"}})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := startTUI(t, "replay --fast "+rec)
	s.waitScreen("the replay finished", 60*time.Second, func(scr string) bool { return strings.Contains(scr, "Sessions (3)") })
	s.keys("t")
	// 3 sessions × 15 of each name; every tenth never acked: 3 × 3 = 9
	// unanswered in all.
	row := regexp.MustCompile(`(save doc|load doc) +c2s +\S+ +45 +\S+ +(\d+\.\dms|\d+ms) `)
	scr := s.waitScreen("both event rows with 45 messages and an ack latency", 30*time.Second, func(scr string) bool {
		return strings.Contains(scr, "› stats") && len(row.FindAllString(scr, -1)) == 2
	})
	if !strings.Contains(scr, fmt.Sprintf("acks never answered %d", st.Unanswered)) {
		t.Errorf("the pane should count %d acks never answered:\n%s", st.Unanswered, scr)
	}
	if !strings.Contains(scr, "Sessions (3 kept") || strings.Count(scr, "closed: ") != 3 {
		t.Errorf("the pane should list the 3 closed sessions:\n%s", scr)
	}
	// One key at a time: keys sent together arrive as one "hhh".
	for _, col := range []string{"msg/s", "dir"} {
		s.keys("h")
		s.waitScreen("the events sorted by "+col, 10*time.Second, func(scr string) bool { return strings.Contains(scr, "sorted by "+col+" ") })
	}
	s.keys("h")
	s.waitScreen("the events sorted by name", 10*time.Second, func(scr string) bool {
		l, sv := strings.Index(scr, "load doc"), strings.Index(scr, "save doc")
		return strings.Contains(scr, "sorted by event ▲") && l >= 0 && sv > l
	})
	s.keys("t")
	s.waitScreen("the main screen again", 10*time.Second, func(scr string) bool {
		return !strings.Contains(scr, "› stats") && strings.Contains(scr, "Sessions (3)")
	})
}

// TestTUIStatsPaneLive: with live traffic (the demo's clients through
// real relays) the pane fills and keeps counting.
func TestTUIStatsPaneLive(t *testing.T) {
	s := startTUI(t, "demo --pace 0.2")
	s.waitScreen("sessions", 60*time.Second, func(scr string) bool { return count(sessionsRE, scr) >= 2 })
	s.keys("t")
	countRE := regexp.MustCompile(`typing +c2s +\S+ +(\d+) `)
	first := 0
	s.waitScreen("the typing event counted", 30*time.Second, func(scr string) bool {
		m := countRE.FindStringSubmatch(scr)
		if m != nil {
			fmt.Sscan(m[1], &first)
		}
		return first > 0 && strings.Contains(scr, "handshakes") && strings.Contains(scr, "packets/s")
	})
	s.waitScreen("the count going up while the pane is open", 30*time.Second, func(scr string) bool {
		m := countRE.FindStringSubmatch(scr)
		n := 0
		if m != nil {
			fmt.Sscan(m[1], &n)
		}
		return n > first
	})
}
