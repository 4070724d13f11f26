package e2e

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxSession drives a real terminal: sioproxy's TUI runs in a detached
// tmux session on a private server socket, keys are sent with send-keys and
// the screen is read with capture-pane.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", "main"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	if out, err := s.tmux("send-keys", "-t", "main", "-l", text); err != nil {
		s.t.Fatalf("tmux send-keys -l %q: %v: %s", text, err, out)
	}
}

func (s *tmuxSession) screen() string {
	out, _ := s.tmux("capture-pane", "-t", "main", "-p")
	return out
}

// waitScreen polls the screen until cond holds; on timeout it fails with
// what was on screen.
func (s *tmuxSession) waitScreen(what string, timeout time.Duration, cond func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %s within %s; last screen:\n%s", what, timeout, scr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var (
	sessionsRE = regexp.MustCompile(`Sessions \((\d+)\)`)
	faultsRE   = regexp.MustCompile(`Faults \((\d+)\)`)
)

func count(re *regexp.Regexp, scr string) int {
	m := re.FindStringSubmatch(scr)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestTUISmokeDemo starts `sioproxy demo` in tmux and checks what a user
// would: sessions, packets and a fault appear; the filter and the detail
// view work; q quits.
func TestTUISmokeDemo(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required for the TUI smoke test: apt-get install tmux")
	}
	needProxy(t)
	bin := sioproxyBin
	s := &tmuxSession{t: t, socket: fmt.Sprintf("sioproxy-e2e-%d", time.Now().UnixNano())}
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color %s demo --pace 0.2", bin)
	if out, err := s.tmux("new-session", "-d", "-s", "main", "-x", "150", "-y", "45", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })

	s.waitScreen("sessions, events and a binary event", 30*time.Second, func(scr string) bool {
		return count(sessionsRE, scr) >= 3 && strings.Contains(scr, " EVENT ") && strings.Contains(scr, "BINARY_EVENT")
	})
	s.waitScreen("a diagnosed fault", 60*time.Second, func(scr string) bool { return count(faultsRE, scr) >= 1 })

	// Filter on one event name: every packet row left is that event.
	s.keys("/")
	s.typeText("event:avatar")
	s.keys("Enter")
	scr := s.waitScreen("the avatar filter applied", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "filter: event:avatar") && strings.Contains(scr, "avatar #")
	})
	for _, line := range strings.Split(scr, "\n") {
		if strings.Contains(line, " → ws ") || strings.Contains(line, " ← ws ") || strings.Contains(line, " poll ") {
			if !strings.Contains(line, "avatar") {
				t.Fatalf("filtered packet list shows a non-avatar row:\n%s\nscreen:\n%s", line, scr)
			}
		}
	}

	// Focus the packet list and open the detail of the selected packet.
	s.focusPane("Packets")
	s.keys("Enter")
	s.waitScreen("the detail view of a binary event", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "detail") && strings.Contains(scr, "BINARY_EVENT") &&
			strings.Contains(scr, "Attachment 1 of") && strings.Contains(scr, "Request headers")
	})

	// ESC and q in one write, as a quick typist or a laggy ssh link sends
	// them: the terminal reports alt+q, which must act as ESC, then q.
	s.keys("Escape", "q")
	s.waitExit("q after ESC in the same read")
}

// focusPane presses Tab until the named pane has the focus marker,
// waiting for each press to show.
func (s *tmuxSession) focusPane(name string) {
	s.t.Helper()
	marker := "▸ " + name
	for i := 0; i < 3 && !strings.Contains(s.screen(), marker); i++ {
		before := s.screen()
		s.keys("Tab")
		s.waitScreen("the focus to move", 10*time.Second, func(scr string) bool {
			return scr != before && (strings.Contains(scr, marker) || strings.Count(scr, "▸ ") == 1)
		})
	}
	s.waitScreen(marker, 10*time.Second, func(scr string) bool { return strings.Contains(scr, marker) })
}

// waitExit waits for the program in the tmux session to exit (tmux then
// closes the session).
func (s *tmuxSession) waitExit(what string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", "main"); err != nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sioproxy did not quit on %s; screen:\n%s", what, s.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
