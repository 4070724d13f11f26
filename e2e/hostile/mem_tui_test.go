package hostile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memTmux runs a command in a detached tmux session on a private socket.
type memTmux struct {
	t      *testing.T
	socket string
}

func newMemTmux(t *testing.T, command string) *memTmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the terminal UI test (apt-get install tmux): %v", err)
	}
	s := &memTmux{t: t, socket: fmt.Sprintf("sioproxy-mem-%d-%d", os.Getpid(), time.Now().UnixNano())}
	if out, err := s.run("new-session", "-d", "-s", "main", "-x", "200", "-y", "50", command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { s.run("kill-server") })
	return s
}

func (s *memTmux) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *memTmux) screen() string {
	out, _ := s.run("capture-pane", "-t", "main", "-p")
	return out
}

func (s *memTmux) waitScreen(what string, cond func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(memWait)
	for {
		scr := s.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %s; last screen:\n%s", what, scr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Finding 2: 1 MB events through the terminal UI. 300 round trips (a
// 1 MB event and its 1 MB ack) once took the UI to gigabytes; with the
// default budget RSS stays within 256 MiB plus the fixed overhead, every
// payload comes back unchanged, and the status bar counts what was
// trimmed.
func TestMemTUIBigEvents(t *testing.T) {
	const roundTrips = 300
	srv := memSioServer(t, map[string]any{"maxHttpBufferSize": 1e8})
	dir := t.TempDir()
	errFile := filepath.Join(dir, "stderr")
	rec := filepath.Join(dir, "rec.jsonl")
	cmd := fmt.Sprintf("exec %s --listen 127.0.0.1:0 --target %s --record %s 2>%s", memBinary(t), srv, rec, errFile)
	tm := newMemTmux(t, cmd)
	var addr string
	deadline := time.Now().Add(memWait)
	for addr == "" {
		b, _ := os.ReadFile(errFile)
		if m := memListenRE.FindStringSubmatch(string(b)); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("sioproxy in tmux printed no listening line: %s\nscreen:\n%s", b, tm.screen())
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	pidText, _ := tm.run("display", "-p", "-t", "main", "#{pane_pid}")
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		t.Fatalf("pane pid %q: %v", pidText, err)
	}
	tm.waitScreen("the packet list", func(s string) bool { return strings.Contains(s, "pkts/s") })
	peak := memPeak(t, pid)

	out := memNode(t, `
const { io } = require('socket.io-client');
const crypto = require('crypto');
const s = io(process.env.URL, { transports: ['websocket'], reconnection: false });
s.on('connect_error', (e) => { console.error(e.message); process.exit(1); });
s.on('connect', async () => {
  let same = 0;
  for (let i = 0; i < Number(process.env.N); i++) {
    const big = crypto.randomBytes(512 * 1024).toString('hex');
    const r = await s.timeout(60000).emitWithAck('big', big);
    if (r && r.ok) same++;
    const back = await new Promise((res) => s.timeout(60000).emit('echo', big, (err, ok, echoed) => res(err ? 'timeout' : echoed)));
    if (back !== big) { console.error('payload changed on round trip', i); process.exit(1); }
  }
  console.log('same', same);
  s.close();
});
`, "URL=http://"+addr, fmt.Sprintf("N=%d", roundTrips/2))
	if !strings.Contains(out, fmt.Sprintf("same %d", roundTrips/2)) {
		t.Fatalf("client: %q", out)
	}
	scr := tm.waitScreen("a count of trimmed packets in the status bar", func(s string) bool {
		return regexp.MustCompile(`\d+ trimmed`).MatchString(s)
	})
	held := peak()
	t.Logf("peak RSS %d MiB for %d round trips of 1 MB events in the terminal UI", held>>20, roundTrips)
	if held > 256*memMiB+96*memMiB {
		t.Fatalf("peak RSS %d MiB: over the default budget 256 MiB + 96 MiB overhead\n%s", held>>20, scr)
	}
	if !strings.Contains(scr, `{"_trimmed":"`) {
		t.Fatalf("no trimmed marker in the packet rows:\n%s", scr)
	}
	if strings.ContainsAny(scr, "\x1b") {
		t.Fatal("escape byte on the plain screen capture")
	}
	// The recording has the events whole.
	tm.run("send-keys", "-t", "main", "q")
	deadline = time.Now().Add(memWait)
	for exec.Command("kill", "-0", strconv.Itoa(pid)).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatal("sioproxy did not quit on q")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"kind":"ws.msg"`); n < 2*roundTrips {
		t.Fatalf("recording has %d WebSocket messages, want at least %d (whole events are kept there)", n, 2*roundTrips)
	}
}
