package hostile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/termsafe/termsafetest"
)

// tmuxTerm is a real terminal for the TUI: a detached tmux session on a
// private server socket.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func (s *tmuxTerm) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// screen is the pane as the terminal shows it, with its SGR attributes.
func (s *tmuxTerm) screen() string {
	out, _ := s.run("capture-pane", "-t", "main", "-p", "-e")
	return out
}

func (s *tmuxTerm) waitScreen(what string, cond func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		scr := s.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %s; last screen:\n%s", what, scr)
		}
		time.Sleep(100 * time.Millisecond) // polling a screen: no event to wait on
	}
}

// TestTUIEscapesHostileUpstream runs the TUI in tmux while a hostile
// upstream and client talk through it, and reads the screen back: wire
// text shows escaped, the only escape sequences are the UI's own colors,
// and the terminal's title was not set.
func TestTUIEscapesHostileUpstream(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	up := hostileUpstream(t)
	dir := t.TempDir()
	errFile := filepath.Join(dir, "stderr")
	term := &tmuxTerm{t: t, socket: "sioproxy-hostile-" + strconv.Itoa(os.Getpid())}
	cmd := fmt.Sprintf("exec %s --listen 127.0.0.1:0 --target %s 2>%s", sioproxyBin, up.srv.URL, errFile)
	if out, err := term.run("new-session", "-d", "-s", "main", "-x", "200", "-y", "50", "sh", "-c", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { term.run("kill-server") })
	var proxyURL string
	deadline := time.Now().Add(waitLimit)
	for proxyURL == "" {
		b, _ := os.ReadFile(errFile)
		if rest, ok := strings.CutPrefix(string(b), listenRE); ok {
			proxyURL, _, _ = strings.Cut(rest, " ")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sioproxy never listened: %q\n%s", b, term.screen())
		}
		time.Sleep(50 * time.Millisecond) // polling a file: no event to wait on
	}
	driveHostile(t, proxyURL, up)

	check := func(name, scr string) {
		t.Helper()
		if err := termsafetest.Audit(scr); err != nil {
			t.Errorf("%s: %v\nscreen:\n%s", name, err, scr)
		}
		if title, _ := term.run("display-message", "-p", "-t", "main", "#{pane_title}"); strings.Contains(title, "PWNED") {
			t.Errorf("%s: the upstream set the terminal title to %q", name, title)
		}
	}
	scr := term.waitScreen("the hostile event, escaped", func(s string) bool {
		return strings.Contains(s, visible) && strings.Contains(s, "EVENT")
	})
	check("stream", scr)
	term.run("send-keys", "-t", "main", "Enter")
	scr = term.waitScreen("the detail view", func(s string) bool { return strings.Contains(s, "› detail") })
	check("detail", scr)
	if !hasLine(scr, "Session", "/x"+visible) {
		t.Errorf("the detail view does not show the sid escaped:\n%s", scr)
	}
	term.run("send-keys", "-t", "main", "Escape", "Tab")
	check("sessions", term.screen())
	term.run("send-keys", "-t", "main", "q")
}

// hasLine reports whether one line of scr holds every part.
func hasLine(scr string, parts ...string) bool {
	for _, l := range strings.Split(scr, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}
