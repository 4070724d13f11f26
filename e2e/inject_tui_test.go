package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIInjectToggle: in the TUI (in tmux) the "!" menu switches
// no-upgrade on while sioproxy runs between a real socket.io server and
// client: the client's upgrade fails, and the screen shows the INJECTED
// row and the D1 fault it caused, named after the rule.
func TestTUIInjectToggle(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	sock := filepath.Join(t.TempDir(), "ctl.sock")
	s := startTUI(t, fmt.Sprintf("--target %s --listen 127.0.0.1:0 --control %s", srv.url, sock))
	scr := s.waitScreen("the listen address", 30*time.Second, func(scr string) bool { return tuiListenRE.MatchString(scr) })
	url := tuiListenRE.FindStringSubmatch(scr)[1]

	s.keys("!")
	s.waitScreen("the fault menu, no-upgrade off", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "Inject faults:") && strings.Contains(scr, "> [ ] no-upgrade")
	})
	s.keys("Enter")
	s.waitScreen("no-upgrade switched on", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "> [x] no-upgrade") && strings.Contains(scr, "INJECTING no-upgrade")
	})
	s.keys("!")
	s.waitScreen("the menu closed", 10*time.Second, func(scr string) bool {
		return !strings.Contains(scr, "Inject faults:") && strings.Contains(scr, "Sessions (")
	})

	// No chatter: the INJECTED row stays on screen (heartbeats are hidden).
	c := startChaosClient(t, url, nil)
	con := c.wait(t, "a connect", 1, clientIs("connect"))
	if con.Transport != "polling" {
		t.Errorf("connected over %q, want polling first", con.Transport)
	}
	c.wait(t, "an upgradeError (the WebSocket upgrade was stripped)", 1, clientIs("upgradeError"))
	s.waitScreen("the INJECTED row and the D1 fault", faultTimeout, func(scr string) bool {
		return strings.Contains(scr, "INJECTED ws no-upgrade: stripped") &&
			strings.Contains(scr, "upgrade_headers_stripped") && count(faultsRE, scr) >= 1
	})
	// The fault names the rule that staged it.
	s.focusPane("Faults")
	s.keys("Enter")
	s.waitScreen("the fault's detail naming the rule", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "upgrade_headers_stripped") && strings.Contains(scr, "injected by --inject no-upgrade")
	})
	s.keys("Escape")
	s.keys("q")
	s.waitExit("q")
}
