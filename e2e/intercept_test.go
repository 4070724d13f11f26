package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// interceptRules is the rules file of TestIntercept: an edit, a drop and a
// mock.
const interceptRules = `[
  {"name": "edit", "match": "event:edit-me dir:c2s", "set": {"[0]": "edited"}},
  {"name": "drop", "match": "event:drop-me", "drop": true},
  {"name": "mock", "match": "event:mock-me dir:c2s", "respond": [{"mocked": true}]}
]`

// iclient is a running node/intercept-client.js.
type iclient struct {
	*proc
	sid string
	n   int
}

func startIClient(t *testing.T, cfg map[string]any) *iclient {
	t.Helper()
	b, _ := json.Marshal(cfg)
	p := startProc(t, "intercept-client.js", e2eDir, nodeBin, filepath.Join("node", "intercept-client.js"), string(b))
	c := &iclient{proc: p}
	line := c.waitLine(t, func(m map[string]any) bool { return m["connected"] != nil || m["connect_error"] != nil })
	sid, _ := line["connected"].(string)
	if sid == "" {
		t.Fatalf("client did not connect: %v\n%s", line, p.describe())
	}
	c.sid = sid
	return c
}

// waitLine waits for a JSON stdout line satisfying cond.
func (c *iclient) waitLine(t *testing.T, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	var got map[string]any
	ok := c.stdout.waitFor(clientTimeout, func(lines []string) bool {
		for _, l := range lines {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && cond(m) {
				got = m
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("intercept-client.js: no such line\n%s", c.describe())
	}
	return got
}

// emit sends an event, with an ack callback when timeoutMs > 0, and returns
// the outcome line.
func (c *iclient) emit(t *testing.T, event string, args []any, timeoutMs int) map[string]any {
	t.Helper()
	c.n++
	tag := fmt.Sprintf("t%d", c.n)
	cmd := map[string]any{"tag": tag, "emit": event, "args": args, "ack": timeoutMs > 0, "timeout": timeoutMs}
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	return c.waitLine(t, func(m map[string]any) bool { return m["tag"] == tag && m["sent"] == nil })
}

// emitAsync is emit with an ack, safe to call from another goroutine: it
// reports failures as a result instead of failing the test.
func (c *iclient) emitAsync(t *testing.T, event string, args []any) map[string]any {
	tag := fmt.Sprintf("async-%s", event)
	cmd := map[string]any{"tag": tag, "emit": event, "args": args, "ack": true, "timeout": int(clientTimeout / time.Millisecond)}
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		return map[string]any{"error": err.Error()}
	}
	var got map[string]any
	c.stdout.waitFor(clientTimeout, func(lines []string) bool {
		for _, l := range lines {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["tag"] == tag {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// got waits for the client to receive event and returns its args as JSON.
func (c *iclient) got(t *testing.T, event string) string {
	t.Helper()
	m := c.waitLine(t, func(m map[string]any) bool { return m["got"] == event })
	b, _ := json.Marshal(m["args"])
	return string(b)
}

// sioctl runs `sioproxy <args>` (inject, sessions) and returns its stdout.
func sioctl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sioproxyBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("sioproxy %q: %v\nstdout: %s\nstderr: %s", args, err, out.String(), errb.String())
	}
	return out.String()
}

// serverGot returns the args of the EVENTs named event the server received.
func serverGot(t *testing.T, srv *nodeServer, event string) []string {
	var out []string
	for _, p := range parseWirePackets(t, "server.js", srv.stdout.all()) {
		if p.Side == "server" && p.Dir == "recv" && p.Event == event {
			out = append(out, string(p.Args))
		}
	}
	return out
}

func waitServerGot(t *testing.T, srv *nodeServer, event string) string {
	t.Helper()
	var got []string
	if !srv.stdout.waitFor(clientTimeout, func([]string) bool { got = serverGot(t, srv, event); return len(got) > 0 }) {
		t.Fatalf("server never received %q\n%s", event, srv.describe())
	}
	return got[0]
}

// TestIntercept drives real socket.io servers and clients through sioproxy
// with a rules file and the control socket, on every transport and parser:
// an edited event arrives edited at the server's handler; a dropped one
// never arrives and the client's ack times out; a mocked one is answered
// by sioproxy while the server never sees it; events injected as the
// server fire the client's handler, binary attachments byte-exact; an event
// injected as the client with an ack reaches the server's handler, and its
// ACK is shown by sioproxy and never reaches the client.
func TestIntercept(t *testing.T) {
	t.Parallel()
	variants := []struct {
		name   string
		server map[string]any
		client map[string]any
	}{
		{"websocket", nil, map[string]any{"transports": []string{"websocket"}}},
		{"websocket deflate", map[string]any{"perMessageDeflate": map[string]any{"threshold": 0}},
			map[string]any{"transports": []string{"websocket"}, "perMessageDeflate": map[string]any{"threshold": 0}}},
		{"websocket msgpack", map[string]any{"parser": "msgpack"}, map[string]any{"transports": []string{"websocket"}, "parser": "msgpack"}},
		{"websocket EIO3", map[string]any{"allowEIO3": true}, map[string]any{"transports": []string{"websocket"}, "version": 2}},
		{"polling", nil, map[string]any{"transports": []string{"polling"}}},
		{"polling msgpack", map[string]any{"parser": "msgpack"}, map[string]any{"transports": []string{"polling"}, "parser": "msgpack"}},
		{"polling EIO3", map[string]any{"allowEIO3": true}, map[string]any{"transports": []string{"polling"}, "version": 2}},
		{"polling then websocket", nil, nil},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rulesFile := filepath.Join(dir, "rules.json")
			if err := os.WriteFile(rulesFile, []byte(interceptRules), 0o600); err != nil {
				t.Fatal(err)
			}
			sock := filepath.Join(dir, "ctl.sock")
			rec := filepath.Join(dir, "rec.jsonl")
			srv := startServer(t, v.server)
			px := startProxy(t, srv.url, "--rules", rulesFile, "--control", sock, "--record", rec)
			cfg := map[string]any{"url": px.url}
			for k, x := range v.client {
				cfg[k] = x
			}
			c := startIClient(t, cfg)

			// Edited: the server's handler gets the new args, the client its ack.
			if r := c.emit(t, "edit-me", []any{"orig"}, 20000); r["ack"] == nil {
				t.Fatalf("edit-me: %v", r)
			}
			if got := waitServerGot(t, srv, "edit-me"); got != `["edited"]` {
				t.Fatalf("server got edit-me %s, want [\"edited\"]", got)
			}
			// Dropped: the client's ack times out.
			if r := c.emit(t, "drop-me", []any{1}, 1500); r["ack_timeout"] != true {
				t.Fatalf("drop-me: %v", r)
			}
			// Mocked: sioproxy answers, the server never sees it.
			r := c.emit(t, "mock-me", []any{2}, 20000)
			if b, _ := json.Marshal(r["ack"]); string(b) != `[{"mocked":true}]` {
				t.Fatalf("mock-me ack %s", b)
			}

			// Injected as the server: the client's handler fires.
			out := sioctl(t, "inject", "--control", sock, "--sid", c.sid, "--as", "server", "hello", `{"x":1}`, `"two"`)
			if !strings.Contains(out, c.sid) {
				t.Fatalf("inject said %q", out)
			}
			if got := c.got(t, "hello"); got != `[{"x":1},"two"]` {
				t.Fatalf("client got hello %s", got)
			}
			// Binary attachments, byte-exact both ways.
			blob := []byte{0, 1, 2, 0xff, 0xfe, 'x', 0}
			blobFile := filepath.Join(dir, "blob.bin")
			os.WriteFile(blobFile, blob, 0o600)
			b64 := base64.StdEncoding.EncodeToString(blob)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("client:\n%s\nproxy:\n%s", c.describe(), px.describe())
				}
			})
			sioctl(t, "inject", "--control", sock, "--as", "server", "bin-down", `"meta"`, "--attach", blobFile)
			if got, want := c.got(t, "bin-down"), `["meta",{"_binary":"`+b64+`"}]`; got != want {
				t.Fatalf("client got bin-down %s, want %s", got, want)
			}
			sioctl(t, "inject", "--control", sock, "--as", "client", "bin-up", "--attach", blobFile)
			if got, want := waitServerGot(t, srv, "bin-up"), `[{"_binary":"`+b64+`"}]`; got != want {
				t.Fatalf("server got bin-up %s, want %s", got, want)
			}
			// Injected as the client with an ack: the server's handler
			// answers, sioproxy prints the ACK, the client never sees it.
			out = sioctl(t, "inject", "--control", sock, "--as", "client", "--ack", "ask-srv", `"p"`)
			if !strings.Contains(out, `ack id=`) || !strings.Contains(out, `{"ok":true,"event":"ask-srv"}`) {
				t.Fatalf("inject --ack said %q", out)
			}
			if got := waitServerGot(t, srv, "ask-srv"); got != `["p"]` {
				t.Fatalf("server got ask-srv %s", got)
			}
			if out := sioctl(t, "sessions", "--control", sock); !strings.Contains(out, c.sid) {
				t.Fatalf("sessions: %q", out)
			}
			// One more round trip, so anything wrongly forwarded before it
			// has arrived.
			c.emit(t, "last", nil, 20000)
			for _, ev := range []string{"drop-me", "mock-me"} {
				if got := serverGot(t, srv, ev); len(got) > 0 {
					t.Errorf("server received %s: %v", ev, got)
				}
			}
			// socket.io-client logs a packet a tick after handling it: wait
			// for the client's own three acks (edit-me, mock-me, last).
			var acks []string
			c.stdout.waitFor(settleTimeout, func(lines []string) bool {
				acks = acks[:0]
				for _, l := range lines {
					var p struct {
						Type *int    `json:"recv_packet"`
						ID   *uint64 `json:"id"`
					}
					if json.Unmarshal([]byte(l), &p) == nil && p.Type != nil && (*p.Type == 3 || *p.Type == 6) && p.ID != nil {
						acks = append(acks, l)
					}
				}
				return len(acks) >= 3
			})
			if len(acks) != 3 {
				t.Errorf("the client received %d ACK packets, want its own 3 only:\n%s", len(acks), strings.Join(acks, "\n"))
			}
			for _, l := range acks {
				if strings.Contains(l, `"id":11258999068426`) {
					t.Errorf("the client received the ACK of the injected event: %s", l)
				}
			}

			// sioproxy shows what it did, per packet.
			evs, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
				marks := map[string]bool{}
				for _, e := range evs {
					if a := e.Active; a != nil && e.Kind == event.KindPacket {
						switch {
						case a.Consumed && (e.Type == "ACK" || e.Type == "BINARY_ACK"):
							marks["consumed"] = true
						case a.Dropped && e.Event == "drop-me":
							marks["dropped"] = true
						case e.Event == "edit-me" && a.Original != "" && len(a.Rules) > 0 && a.Rules[0] == "edit":
							marks["edited"] = true
						case a.Injected && e.Event == "hello":
							marks["injected"] = true
						}
					}
				}
				return len(marks) == 4
			})
			if !ok {
				var lines []string
				for _, e := range evs {
					if e.Active != nil {
						b, _ := json.Marshal(e)
						lines = append(lines, string(b))
					}
				}
				t.Fatalf("sioproxy --json lacks the active marks; marked lines:\n%s", strings.Join(lines, "\n"))
			}
			px.stop()
			// The recording keeps the original beside what was sent.
			f, err := os.Open(rec)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			found, deflated := false, false
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var l struct {
					Kind       string `json:"kind"`
					Dir        string `json:"dir"`
					Compressed bool   `json:"compressed"`
					Active     *struct {
						Rules    []string `json:"rules"`
						Original []byte   `json:"original"`
						Reframed bool     `json:"reframed"`
					} `json:"active"`
				}
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Active != nil && len(l.Active.Rules) > 0 &&
					l.Active.Rules[0] == "edit" && bytes.Contains(l.Active.Original, []byte("orig")) {
					found = true
				}
				// Re-framed towards the server with sioproxy's own deflate
				// context, which the server inflated.
				if l.Kind == "ws.msg" && l.Dir == "c2s" && l.Compressed && l.Active != nil && l.Active.Reframed {
					deflated = true
				}
			}
			if _, ok := v.server["perMessageDeflate"]; ok != deflated {
				t.Errorf("perMessageDeflate %v, but a re-framed compressed c2s message recorded: %v", ok, deflated)
			}
			if !found {
				t.Fatalf("recording %s has no edited message with its original", rec)
			}
		})
	}
}
