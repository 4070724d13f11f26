package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/sioclient"
	"github.com/sioproxy/sioproxy/internal/sioserver"
)

// testApp is a small Socket.IO app on internal/sioserver. changed makes it
// answer differently, for replays that must find differences.
func testApp(t *testing.T, changed bool) string {
	t.Helper()
	srv := sioserver.New(sioserver.Options{})
	srv.Handle("/", &sioserver.Namespace{
		OnConnect: func(s *sioserver.Socket) { s.Emit("welcome", map[string]any{"motd": "hi"}) },
		OnEvent: func(s *sioserver.Socket, p *sio.Packet) []any {
			switch p.EventName() {
			case "chat":
				return []any{map[string]any{"ok": !changed}}
			case "ask":
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if r, err := s.EmitWithAck(ctx, "question", "why?"); err == nil {
						s.Emit("answer", json.RawMessage(r.Data))
					}
				}()
			}
			return nil
		},
	})
	srv.Handle("/admin", &sioserver.Namespace{
		Auth: func(auth json.RawMessage) (any, error) {
			var a struct{ Token string }
			if json.Unmarshal(auth, &a) != nil || a.Token != "secret" || changed {
				return nil, errors.New("bad token")
			}
			return nil, nil
		},
		OnEvent: func(s *sioserver.Socket, p *sio.Packet) []any {
			return []any{[]byte{1, 2, 3}, "bin-ok"}
		},
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs.URL
}

// driveClient plays one client session against url: namespaces with auth,
// an ack, a server question answered, a binary ack.
func driveClient(t *testing.T, url, transport string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := sioclient.Dial(ctx, url, sioclient.Options{
		Transport: transport, HTTP: &http.Client{Transport: tr},
		OnEvent: func(p *sio.Packet) []any {
			if p.EventName() == "question" {
				return []any{"because"}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatalf("%s: dial: %v", transport, err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, "/", nil); err != nil {
		t.Fatalf("%s: connect: %v", transport, err)
	}
	if _, err := c.EmitWithAck(ctx, "/", "chat", map[string]any{"text": "hello"}); err != nil {
		t.Fatalf("%s: chat: %v", transport, err)
	}
	if transport == sioclient.PollingThenUpgrade {
		for !c.Upgraded() {
			select {
			case <-ctx.Done():
				t.Fatalf("no upgrade")
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	if err := c.Emit("/", "ask"); err != nil {
		t.Fatal(err)
	}
	for answered := false; !answered; {
		select {
		case p := <-c.Incoming():
			answered = p.EventName() == "answer"
		case <-ctx.Done():
			t.Fatalf("%s: no answer", transport)
		}
	}
	if _, err := c.Connect(ctx, "/admin", map[string]any{"token": "secret"}); err != nil {
		t.Fatalf("%s: connect /admin: %v", transport, err)
	}
	if _, err := c.EmitWithAck(ctx, "/admin", "upload", []byte("data")); err != nil {
		t.Fatalf("%s: upload: %v", transport, err)
	}
}

// liveRun proxies the clients through run(..) with --json and --record
// and returns the recording and the live stdout.
func liveRun(t *testing.T, app string, transports ...string) (rec string, live []string) {
	t.Helper()
	dir := t.TempDir()
	rec = filepath.Join(dir, "live.jsonl")
	out := filepath.Join(dir, "live.out")
	stdout, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--target", app, "--listen", "127.0.0.1:0", "--json", "--record", rec}, stdout, &stderr)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	addr := waitListening(t, re, &stderr, cancel, done)
	for _, tr := range transports {
		driveClient(t, addr, tr)
	}
	time.Sleep(100 * time.Millisecond) // the clients' closes reach the proxy
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("live run exit %d: %s", code, stderr.String())
	}
	return rec, readLines(t, out)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// runCmd runs the command with stdout in a file and returns the exit
// code, stdout lines and stderr.
func runCmd(t *testing.T, args ...string) (int, []string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	code := run(context.Background(), args, f, &stderr)
	f.Close()
	return code, readLines(t, out), stderr.String()
}

// For the same traffic, replay --json prints what the live run printed,
// line for line: the same packets, sessions, exchanges and faults at the
// same (recorded) times.
func TestReplayJSONEqualsLive(t *testing.T) {
	app := testApp(t, false)
	rec, live := liveRun(t, app, sioclient.PollingThenUpgrade, sioclient.PollingOnly, sioclient.WebSocketOnly)
	if len(live) < 30 {
		t.Fatalf("live run printed only %d lines", len(live))
	}
	code, replayed, stderr := runCmd(t, "replay", rec, "--json")
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, stderr)
	}
	diffLines(t, live, replayed)
}

func diffLines(t *testing.T, want, got []string) {
	t.Helper()
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g && !sameButClock(w, g) {
			t.Fatalf("line %d differs (%d lines live, %d replayed)\nlive:   %s\nreplay: %s", i+1, len(want), len(got), w, g)
		}
	}
}

func TestReplayToServer(t *testing.T) {
	rec, _ := liveRun(t, testApp(t, false), sioclient.PollingThenUpgrade, sioclient.PollingOnly, sioclient.WebSocketOnly)

	t.Run("same server", func(t *testing.T) {
		code, out, stderr := runCmd(t, "replay", rec, "--to", testApp(t, false), "--fast")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, strings.Join(out, "\n"), stderr)
		}
		text := strings.Join(out, "\n")
		for _, tr := range []string{"(polling)", "(polling-only)", "(websocket)"} {
			if !strings.Contains(text, tr) {
				t.Errorf("no %s session in\n%s", tr, text)
			}
		}
		if !strings.HasSuffix(text, "3 sessions, no differences") {
			t.Fatalf("report:\n%s", text)
		}
	})

	t.Run("changed server", func(t *testing.T) {
		code, out, stderr := runCmd(t, "replay", rec, "--to", testApp(t, true), "--fast", "--grace", "200ms")
		text := strings.Join(out, "\n")
		if code != 1 || !strings.Contains(stderr, "differ") {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, text, stderr)
		}
		for _, want := range []string{
			`ack for "chat" id 0: recorded [{"ok":true}] got [{"ok":false}]`,
			`connect "/admin": recorded CONNECT got CONNECT_ERROR {"message":"bad token"}`,
			`ack for "upload" on "/admin" id 1: recorded [{"_binary":"AQID"},"bin-ok"] got none (not sent: the server refused namespace "/admin")`,
			"3 sessions, 9 differences",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("report lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("one session as JSON", func(t *testing.T) {
		code, out, _ := runCmd(t, "replay", rec, "--json")
		if code != 0 {
			t.Fatal("replay failed")
		}
		sid := ""
		for _, l := range out {
			var ev struct{ Kind, Action, Sid, Transport string }
			if json.Unmarshal([]byte(l), &ev) == nil && ev.Kind == "session" && ev.Action == "open" && ev.Transport == "websocket" {
				sid = ev.Sid
				break
			}
		}
		if sid == "" {
			t.Fatal("no websocket session in the replay")
		}
		code, out, stderr := runCmd(t, "replay", rec, "--to", testApp(t, true), "--sid", sid, "--transport", "polling-only", "--json", "--fast", "--grace", "200ms")
		if code != 1 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var kinds []string
		for _, l := range out {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not JSON: %q", l)
			}
			kinds = append(kinds, fmt.Sprint(m["kind"]))
			if m["kind"] == "session" && (m["sid"] != sid || m["transport"] != "polling-only" || m["new_sid"] == "") {
				t.Errorf("session line %s", l)
			}
			if m["kind"] == "difference" && m["what"] == "ack" && m["event"] == "chat" && (m["recorded"] != `[{"ok":true}]` || m["got"] != `[{"ok":false}]` || m["id"] != 0.0) {
				t.Errorf("ack difference %s", l)
			}
		}
		if got := strings.Join(kinds, ","); got != "session,difference,difference,difference,summary" {
			t.Fatalf("kinds %s\n%s", got, strings.Join(out, "\n"))
		}
	})

	t.Run("unknown sid", func(t *testing.T) {
		code, _, stderr := runCmd(t, "replay", rec, "--to", "http://127.0.0.1:1", "--sid", "nope")
		if code != 1 || !strings.Contains(stderr, `no session with sid "nope"`) {
			t.Fatalf("exit %d stderr %q", code, stderr)
		}
	})
}

// clockFields are computed from two observation times. Live, those times
// carry Go's monotonic clock reading, which a recording cannot keep (it
// stores wall-clock times), so a replay computes them from the wall clock:
// they may differ from the live values by a few microseconds.
var clockFields = []string{"duration_ms", "ack_ms", "rtt_ms"}

// sameButClock reports whether two event lines are equal but for
// clockFields differing by less than 0.1 ms.
func sameButClock(a, b string) bool {
	var ma, mb map[string]any
	if json.Unmarshal([]byte(a), &ma) != nil || json.Unmarshal([]byte(b), &mb) != nil {
		return false
	}
	for _, f := range clockFields {
		x, okx := ma[f].(float64)
		y, oky := mb[f].(float64)
		if okx && oky && math.Abs(x-y) < 0.1 {
			delete(ma, f)
			delete(mb, f)
		}
	}
	return reflect.DeepEqual(ma, mb)
}

// The replay UI reads packets/s and ages on the replay clock: recorded
// packets are years old on the wall clock.
func TestReplayUIUsesReplayClock(t *testing.T) {
	rec := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &runtime{cfg: config{View: defaultView}}
	opts := r.tuiOptions(uiInfo{Clock: func() time.Time { return rec }})
	if opts.Now == nil || !opts.Now().Equal(rec) {
		t.Fatal("the UI's clock is not the replay clock")
	}
	if live := r.tuiOptions(uiInfo{}); live.Now != nil {
		t.Fatal("a live UI must keep the wall clock (Now nil)")
	}
}
