package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var tuiListenRE = regexp.MustCompile(`(http://127\.0\.0\.1:\d+)`)

// TestTUIBreakpoint sets a breakpoint in the TUI (in tmux), lets a real
// socket.io client emit a matching event, edits the held args with
// $EDITOR and forwards them: the server's handler gets the edit and the
// client its ack.
func TestTUIBreakpoint(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is required for the TUI test: apt-get install tmux")
	}
	needProxy(t)
	srv := startServer(t, nil)
	sock := filepath.Join(t.TempDir(), "ctl.sock")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("sioproxy-e2e-bp-%d", time.Now().UnixNano())}
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color EDITOR='sed -i s/orig/tui-edited/' %s --target %s --listen 127.0.0.1:0 --control %s",
		sioproxyBin, srv.url, sock)
	if out, err := s.tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "45", cmd); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })
	scr := s.waitScreen("the listen address", 30*time.Second, func(scr string) bool { return tuiListenRE.MatchString(scr) })
	url := tuiListenRE.FindStringSubmatch(scr)[1]

	s.keys("b")
	s.waitScreen("the breakpoint prompt", 10*time.Second, func(scr string) bool { return strings.Contains(scr, "break on:") })
	s.typeText("event:edit-me dir:c2s")
	s.keys("Enter")
	s.waitScreen("the breakpoint set", 10*time.Second, func(scr string) bool { return strings.Contains(scr, "breakpoint set") })

	c := startIClient(t, map[string]any{"url": url, "transports": []string{"websocket"}})
	done := make(chan map[string]any, 1)
	go func() { done <- c.emitAsync(t, "edit-me", []any{"orig"}) }()
	s.waitScreen("the held message", 30*time.Second, func(scr string) bool {
		return strings.Contains(scr, "HELD 1 of 1") && strings.Contains(scr, `"orig"`) && strings.Contains(scr, "heartbeat gives up in")
	})
	s.keys("e")
	s.waitScreen("the edited args", 20*time.Second, func(scr string) bool { return strings.Contains(scr, `"tui-edited"`) })
	s.keys("f")
	if got := waitServerGot(t, srv, "edit-me"); got != `["tui-edited"]` {
		t.Fatalf("server got edit-me %s, want [\"tui-edited\"]", got)
	}
	if r := <-done; r["ack"] == nil {
		t.Fatalf("client: %v", r)
	}
	s.keys("q")
}
