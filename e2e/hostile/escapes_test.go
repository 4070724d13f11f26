package hostile

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/termsafe/termsafetest"
)

// payload is the terminal-injection string every hostile field carries:
// window title, clipboard write (OSC 52), screen clear, a C1 CSI, a bidi
// override and an isolate.
const payload = "/x\x1b]2;PWNED\x07\x1b]52;c;UFdORUQ=\x07\x1b[2J\u009b2J\u202eevil\u2066"

// visible is how the payload must start on screen: escaped, not obeyed.
const visible = termsafetest.Visible

// hostileUpstream puts the payload in the sid, the upgrade names, a
// response header, and an event (name and args) in a polling answer.
func hostileUpstream(t *testing.T) *upstream {
	name, _ := json.Marshal(payload)
	return startUpstream(t, &upstream{
		Sid:      payload,
		Upgrades: []string{"websocket" + payload},
		// Go's HTTP parser (sioproxy's upstream transport) refuses C0
		// in header values; C1 and bidi controls pass.
		Header:   http.Header{"X-Evil": {"\u009b2J\u202eevil\u2066"}},
		PollBody: []byte(`42[` + string(name) + `,` + string(name) + `,{"k":` + string(name) + `}]`),
	})
}

// driveHostile plays the hostile session through the proxy: handshake,
// a poll that brings the hostile event, and a POST carrying one. Every
// answer and the upstream's copy of the POST must be byte for byte what
// the other side sent.
func driveHostile(t *testing.T, proxyURL string, up *upstream) {
	c := newClient(t, proxyURL)
	if got, want := c.handshake(), up.openPacket(); !bytes.Equal(got, want) {
		t.Fatalf("handshake changed in transit:\n got %q\nwant %q", got, want)
	}
	sidQ := "&sid=" + url.QueryEscape(payload)
	st, got, err := c.do("GET", sidQ, nil)
	if err != nil || st != 200 || !bytes.Equal(got, up.PollBody) {
		t.Fatalf("poll: %d %v, body changed in transit:\n got %q\nwant %q", st, err, got, up.PollBody)
	}
	post := append([]byte("42"), up.PollBody[2:]...)
	if st, _, err := c.do("POST", sidQ, post); err != nil || st != 200 {
		t.Fatalf("post: %d %v", st, err)
	}
	if got := up.lastPost(); !bytes.Equal(got, post) {
		t.Fatalf("POST body changed in transit:\n got %q\nwant %q", got, post)
	}
}

// TestNoTUIEscapesHostileUpstream: a hostile upstream's sid, upgrade
// names and event never reach the --no-tui output raw.
func TestNoTUIEscapesHostileUpstream(t *testing.T) {
	up := hostileUpstream(t)
	sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--no-tui")
	driveHostile(t, sp.url, up)
	sp.stdout.waitFor(t, "the event posted by the client", func(ls []string) bool {
		n := 0
		for _, l := range ls {
			if strings.Contains(l, "c2s EVENT") || strings.Contains(l, "s2c EVENT") {
				n++
			}
		}
		return n >= 2
	})
	auditOutput(t, sp.stdout.bytes(), true)
	out := string(sp.stdout.bytes())
	for _, want := range []string{"session open sid=/x" + visible, "upgrades=[websocket/x" + visible, `EVENT / "/x` + visible} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q (escaped, visible):\n%s", want, out)
		}
	}
}

// auditOutput fails if out holds anything a terminal would interpret:
// with noColor not even an SGR sequence may be there.
func auditOutput(t *testing.T, out []byte, noColor bool) {
	t.Helper()
	if err := termsafetest.Audit(string(out)); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, out)
	}
	if noColor && bytes.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("ESC in uncolored output: %q", out)
	}
	if !bytes.Contains(out, []byte(visible)) {
		t.Fatalf("escaped payload %s not shown:\n%s", visible, out)
	}
}

// TestNoTUIEscapesSocketIOClient: a real socket.io-client connecting to
// a hostile namespace and emitting a hostile event, with args, to a real
// socket.io server (which acks it back) through sioproxy --no-tui.
func TestNoTUIEscapesSocketIOClient(t *testing.T) {
	if nodeBin == "" {
		t.Skip("node is not installed")
	}
	srv := startProc(t, "socket.io server", stdoutMode{}, nodeBin, "node/server.js", `{"port":0,"host":"127.0.0.1"}`)
	first := srv.stdout.waitFor(t, "the server's port", func(ls []string) bool { return len(ls) > 0 })
	var listening struct{ Listening int }
	if err := json.Unmarshal([]byte(first[0]), &listening); err != nil || listening.Listening == 0 {
		t.Fatalf("server said %q", first[0])
	}
	sp := startSioproxy(t, "http://127.0.0.1:"+itoa(listening.Listening), stdoutMode{}, "--no-tui")
	arg, _ := json.Marshal(map[string]string{"nsp": payload, "event": payload, "arg": payload})
	cl := exec.Command(nodeBin, filepath.Join("hostile", "testdata", "hostile-client.js"), sp.url, string(arg))
	cl.Dir = e2eDir
	cl.Stderr = os.Stderr
	got, err := cl.Output()
	if err != nil {
		t.Fatalf("client: %v\n%s\n%s", err, got, strings.Join(sp.stderr.lines(), "\n"))
	}
	var acked struct {
		Acked struct{ Event string }
	}
	for _, l := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		json.Unmarshal([]byte(l), &acked)
	}
	if acked.Acked.Event != payload {
		t.Fatalf("the server did not ack the hostile event unchanged: %s", got)
	}
	sp.stdout.waitFor(t, "the ack and the refused namespace", func(ls []string) bool {
		j := strings.Join(ls, "\n")
		return strings.Contains(j, "s2c ACK") && strings.Contains(j, "CONNECT_ERROR")
	})
	auditOutput(t, sp.stdout.bytes(), true)
	out := string(sp.stdout.bytes())
	if !strings.Contains(out, "CONNECT_ERROR /x"+visible) {
		t.Errorf("hostile namespace not shown escaped:\n%s", out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
