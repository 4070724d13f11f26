package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The tui mode runs sioproxy with its terminal UI in a detached tmux
// session of 120×40, the size the completeness goal names, so the UI's
// ingestion (event ring, 100 ms ticks, rendering) is measured under load
// as a user would run it.

// startTUI starts sioproxy's UI in its own tmux server (socket in dir).
func startTUI(bin, target string) (*proc, error) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		return nil, fmt.Errorf("tmux not found (apt-get install tmux)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loadbench-tui")
	if err != nil {
		return nil, err
	}
	sock := dir + "/tmux.sock"
	t := func(args ...string) *exec.Cmd { return exec.Command(tmux, append([]string{"-S", sock}, args...)...) }
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	shell := fmt.Sprintf("exec %q --target %q --listen %q", bin, target, addr)
	if out, err := t("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-s", "lb", shell).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tmux new-session: %v: %s", err, out)
	}
	p := &proc{url: "http://" + addr, dir: dir}
	p.stopFn = func() {
		t("send-keys", "-t", "lb", "q").Run()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if t("has-session", "-t", "lb").Run() != nil {
				break
			}
		}
		t("kill-server").Run()
		os.RemoveAll(dir)
	}
	out, err := t("list-panes", "-t", "lb", "-F", "#{pane_pid}").Output()
	if err == nil {
		p.ownPid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if err != nil || !waitListen(addr, 10*time.Second) {
		screen, _ := t("capture-pane", "-p", "-t", "lb").Output()
		p.stop()
		return nil, fmt.Errorf("sioproxy's UI did not listen on %s (%v); its screen:\n%s", addr, err, screen)
	}
	p.screen = func() string {
		b, _ := t("capture-pane", "-p", "-t", "lb").Output()
		return string(b)
	}
	return p, nil
}

var (
	shownRE   = regexp.MustCompile(`Packets \((\d+) shown\)`)
	fellOutRE = regexp.MustCompile(`(\d+) fell out of view`)
	dropsRE   = regexp.MustCompile(`drops (\d+)`)
)

// countTUI reads what the UI's screen says it ingested: the packets held
// (shown) and those that fell out of its 10,000-row view, and the drops
// its status bar counts (observation queue, event bus, ring overruns). It
// waits until two screens a tick apart agree, so the UI has caught up.
func countTUI(p *proc) (completeness, string, error) {
	c := completeness{output: "tui"}
	var prev, screen string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		screen = p.screen()
		if screen == prev && shownRE.MatchString(screen) {
			break
		}
		prev = screen
	}
	m := shownRE.FindStringSubmatch(screen)
	d := dropsRE.FindStringSubmatch(screen)
	if m == nil || d == nil {
		return c, screen, fmt.Errorf("the UI's screen shows no packet count or drops:\n%s", screen)
	}
	shown, _ := strconv.Atoi(m[1])
	c.packets = shown
	if f := fellOutRE.FindStringSubmatch(screen); f != nil {
		n, _ := strconv.Atoi(f[1])
		c.packets += n
	}
	c.dropped, _ = strconv.ParseUint(d[1], 10, 64)
	return c, screen, nil
}
