package hostile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/event"
)

// waitLimit bounds every wait for a state (a line, a port, an exit): it is
// a hang detector, not a timing assertion.
const waitLimit = 60 * time.Second

// Set by TestMain.
var (
	repoRoot    string // the module root
	e2eDir      string // e2e/, which holds node_modules
	sioproxyBin string // built cmd/sioproxy
	nodeBin     string // "" when node is not installed
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hostile:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	e2eDir = filepath.Dir(wd)
	repoRoot = filepath.Dir(e2eDir)
	tmp, err := os.MkdirTemp("", "sioproxy-hostile-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	if bin := os.Getenv("SIOPROXY_E2E_BIN"); bin != "" {
		sioproxyBin = bin
	} else {
		sioproxyBin = filepath.Join(tmp, "sioproxy")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goBin, "build", "-o", sioproxyBin, "./cmd/sioproxy")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build ./cmd/sioproxy: %v\n%s", err, out)
		}
	}
	if p, err := exec.LookPath("node"); err == nil {
		nodeBin = p
		if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "socket.io-client", "package.json")); err != nil {
			cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
			cmd.Dir = e2eDir
			if out, err := cmd.CombinedOutput(); err != nil {
				return 0, fmt.Errorf("npm ci in %s: %v\n%s", e2eDir, err, out)
			}
		}
	}
	return m.Run(), nil
}

// ---- processes ----

// lines collects a stream's lines; waiters are woken on every line.
type lines struct {
	mu      sync.Mutex
	all     []string
	raw     bytes.Buffer
	changed chan struct{}
	closed  bool
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

func (l *lines) readFrom(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		s, err := br.ReadString('\n')
		if s != "" {
			l.mu.Lock()
			l.raw.WriteString(s)
			l.all = append(l.all, strings.TrimSuffix(s, "\n"))
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		}
		if err != nil {
			l.mu.Lock()
			l.closed = true
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
			return
		}
	}
}

func (l *lines) snapshot() ([]string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...), l.changed
}

// bytes is everything read so far, byte for byte.
func (l *lines) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.raw.Bytes()...)
}

// waitFor waits until cond holds on the lines so far.
func (l *lines) waitFor(t testing.TB, what string, cond func([]string) bool) []string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		got, changed := l.snapshot()
		if cond(got) {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("never saw %s; last lines:\n%s", what, tail(got, 30))
		}
	}
}

func tail(ls []string, n int) string {
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// proc is a child process in its own process group.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout *lines // nil when the test owns stdout
	stderr *lines
	done   chan struct{}
	err    error
}

// stdoutMode says what the test does with a child's stdout.
type stdoutMode struct {
	file *os.File // if set, the child writes here and the test owns it
}

func startProc(t testing.TB, name string, out stdoutMode, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = e2eDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	p := &proc{name: name, cmd: cmd, stderr: newLines(), done: make(chan struct{})}
	var readers sync.WaitGroup
	if out.file != nil {
		cmd.Stdout = out.file
	} else {
		p.stdout = newLines()
		so, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		readers.Add(1)
		go func() { defer readers.Done(); p.stdout.readFrom(so) }()
	}
	se, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The node programs exit when stdin ends, so that none outlives
	// the test; the pipe stays open until cleanup.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	readers.Add(1)
	go func() { defer readers.Done(); p.stderr.readFrom(se) }()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start %q: %v", name, argv, err)
	}
	go func() {
		readers.Wait()
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.signal(syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// signal sends sig to the process only (not its group), as a terminal's
// Ctrl-C reaches sioproxy.
func (p *proc) signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the exit and returns the exit code.
func (p *proc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not exit; stderr:\n%s", p.name, tail(p.stderr.lines(), 20))
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

// sioproxy is the binary under test, listening on 127.0.0.1.
type sioproxy struct {
	*proc
	url string // http://127.0.0.1:PORT
}

var listenRE = "sioproxy: listening on "

// startSioproxy starts the binary with args (after --listen and --target)
// and waits for it to listen. out chooses who reads stdout.
func startSioproxy(t testing.TB, target string, out stdoutMode, args ...string) *sioproxy {
	t.Helper()
	argv := append([]string{sioproxyBin, "--listen", "127.0.0.1:0", "--target", target}, args...)
	p := startProc(t, "sioproxy", out, argv...)
	got := p.stderr.waitFor(t, "the listen line", func(ls []string) bool {
		for _, l := range ls {
			if strings.HasPrefix(l, listenRE) {
				return true
			}
		}
		return false
	})
	for _, l := range got {
		if rest, ok := strings.CutPrefix(l, listenRE); ok {
			u, _, _ := strings.Cut(rest, " ")
			return &sioproxy{proc: p, url: u}
		}
	}
	panic("unreachable")
}

// jsonEvents parses --json lines, failing on any line that is not one
// valid JSON object in valid UTF-8.
func jsonEvents(t testing.TB, ls []string) []event.Event {
	t.Helper()
	evs := make([]event.Event, 0, len(ls))
	for i, l := range ls {
		var ev event.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil || !json.Valid([]byte(l)) {
			t.Fatalf("--json line %d is not valid JSON (%v): %.300q", i, err, l)
		}
		evs = append(evs, ev)
	}
	return evs
}

// ---- the hostile upstream ----

// upstream is an Engine.IO v4 server written by an attacker: it speaks
// just enough of the protocol, over polling and WebSocket, to carry what
// the test wants into sioproxy's decoder, and records what it got.
type upstream struct {
	srv *httptest.Server
	// Sid, Upgrades and Header go into every handshake answer.
	Sid      string
	Upgrades []string
	Header   http.Header
	// PollBody answers a GET with a sid; "6" (noop) when empty.
	PollBody []byte
	// WSFrames are sent as text frames after the open packet on a
	// WebSocket opened without sid.
	WSFrames [][]byte

	mu       sync.Mutex
	posts    [][]byte // POST bodies received, byte for byte
	wsGot    [][]byte // text frames received
	wsClosed chan struct{}
}

func (u *upstream) openPacket() []byte {
	b, _ := json.Marshal(map[string]any{"sid": u.Sid, "upgrades": u.Upgrades, "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 1000000})
	return append([]byte("0"), b...)
}

func startUpstream(t testing.TB, u *upstream) *upstream {
	t.Helper()
	if u.Upgrades == nil {
		u.Upgrades = []string{}
	}
	u.wsClosed = make(chan struct{})
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range u.Header {
			w.Header()[k] = vs
		}
		sid := r.URL.Query().Get("sid")
		switch {
		case websocket.IsWebSocketUpgrade(r):
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer close(u.wsClosed)
			defer c.Close()
			if sid == "" {
				c.WriteMessage(websocket.TextMessage, u.openPacket())
				for _, f := range u.WSFrames {
					c.WriteMessage(websocket.TextMessage, f)
				}
			}
			for {
				_, m, err := c.ReadMessage()
				if err != nil {
					return
				}
				u.mu.Lock()
				u.wsGot = append(u.wsGot, m)
				u.mu.Unlock()
			}
		case r.Method == http.MethodGet && sid == "":
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			w.Write(u.openPacket())
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			if len(u.PollBody) > 0 {
				w.Write(u.PollBody)
			} else {
				io.WriteString(w, "6")
			}
		case r.Method == http.MethodPost:
			b, _ := io.ReadAll(r.Body)
			u.mu.Lock()
			u.posts = append(u.posts, b)
			u.mu.Unlock()
			io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) lastPost() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.posts) == 0 {
		return nil
	}
	return u.posts[len(u.posts)-1]
}

// ---- a hostile client ----

// client talks Engine.IO through the proxy without any library, so it can
// send what no library would.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func newClient(t testing.TB, proxyURL string) *client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: proxyURL, http: &http.Client{Transport: tr, Timeout: waitLimit}}
}

// do sends one request and returns the status and body exactly.
func (c *client) do(method, query string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+"/socket.io/?EIO=4&transport=polling"+query, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// handshake opens a polling session and returns the upstream's answer as
// the client got it.
func (c *client) handshake() []byte {
	c.t.Helper()
	st, b, err := c.do("GET", "", nil)
	if err != nil || st != 200 {
		c.t.Fatalf("handshake through the proxy: %d %v %s", st, err, b)
	}
	return b
}

// dialWS opens a WebSocket through the proxy without sid.
func (c *client) dialWS() *websocket.Conn {
	c.t.Helper()
	u, _ := url.Parse(c.base)
	u.Scheme = "ws"
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=websocket"
	d := websocket.Dialer{HandshakeTimeout: waitLimit, NetDialContext: (&net.Dialer{}).DialContext}
	conn, _, err := d.Dial(u.String(), nil)
	if err != nil {
		c.t.Fatalf("WebSocket through the proxy: %v", err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

func (l *lines) lines() []string { ls, _ := l.snapshot(); return ls }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
