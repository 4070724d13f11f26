package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/sioserver"
)

// wsRecording is a recorded WebSocket-only session: CONNECT "/" and
// "/admin" with auth, an event acked, a server question the client
// answered, a binary event acked, and a server broadcast.
func wsRecording(t *testing.T) *bytes.Buffer {
	t.Helper()
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	n := 0
	msg := func(dir decode.Dir, data string, binary bool) obs.Obs {
		n++
		op := byte(1)
		if binary {
			op = 2
		}
		return obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(n) * time.Millisecond),
			WSMsg: &obs.WSMessage{Conn: 1, Dir: dir, Opcode: op, Data: []byte(data), Frames: 1, WireLen: len(data) + 2}}
	}
	c2s, s2c := decode.C2S, decode.S2C
	os := []obs.Obs{
		{Kind: obs.KindWSOpen, Time: t0, WSOpen: &obs.WSOpen{Conn: 1, URL: "/socket.io/?EIO=4&transport=websocket&room=blue", Status: 101,
			ReqHeader: http.Header{"Origin": {"http://app.test"}}, RespHeader: http.Header{}}},
		msg(s2c, `0{"sid":"OLDSID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, false),
		msg(c2s, `40`, false),
		msg(s2c, `40{"sid":"sock1"}`, false),
		msg(s2c, `42["welcome","blue"]`, false),
		msg(c2s, `40/admin,{"token":"secret"}`, false),
		msg(s2c, `40/admin,{"sid":"sock2"}`, false),
		msg(c2s, `427["chat",{"b":1,"a":2.50}]`, false),
		msg(s2c, `437[{"ok":true}]`, false),
		msg(c2s, `42["ask"]`, false),
		msg(s2c, `4212["question","why?"]`, false),
		msg(c2s, `4312["because"]`, false),
		msg(s2c, `42["answer","because"]`, false),
		msg(c2s, `451-/admin,9["upload",{"_placeholder":true,"num":0}]`, false),
		msg(c2s, "\x01\x02", true),
		msg(s2c, `461-/admin,9[{"_placeholder":true,"num":0},"stored"]`, false),
		msg(s2c, "\x03", true),
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{Mode: "reverse"})
	for _, o := range os {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return &buf
}

// replayApp answers like the recorded server, or differently.
func replayApp(t *testing.T, changed bool) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string // what the server received, for checking what was sent
	note := func(p *sio.Packet) {
		mu.Lock()
		seen = append(seen, string(p.Data))
		mu.Unlock()
	}
	saw := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	srv := sioserver.New(sioserver.Options{})
	srv.Handle("/", &sioserver.Namespace{
		OnConnect: func(s *sioserver.Socket) { s.Emit("welcome", "blue") },
		OnEvent: func(s *sioserver.Socket, p *sio.Packet) []any {
			note(p)
			switch p.EventName() {
			case "chat":
				return []any{map[string]any{"ok": !changed}}
			case "ask":
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if r, err := s.EmitWithAck(ctx, "question", "why?"); err == nil {
						var args []any
						json.Unmarshal(r.Data, &args)
						s.Emit("answer", args...)
					}
				}()
			}
			return nil
		},
	})
	srv.Handle("/admin", &sioserver.Namespace{
		Auth: func(auth json.RawMessage) (any, error) {
			if !strings.Contains(string(auth), `"secret"`) {
				return nil, errors.New("bad token")
			}
			return nil, nil
		},
		OnEvent: func(s *sioserver.Socket, p *sio.Packet) []any {
			note(p)
			if changed {
				s.Emit("surprise")
				return []any{[]byte{3}, "lost"}
			}
			return []any{[]byte{3}, "stored"}
		},
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs.URL, saw
}

func TestReplayTo(t *testing.T) {
	tests := []struct {
		name      string
		changed   bool
		transport string
		want      []string // difference messages, in report order
	}{
		{"same answers", false, "", nil},
		{"same answers over polling", false, "polling-only", nil},
		{"changed answers", true, "", []string{
			`extra server event "surprise" on "/admin" []`,
			`ack for "chat" id 7: recorded [{"ok":true}] got [{"ok":false}]`,
			`ack for "upload" on "/admin" id 9: recorded [{"_binary":"Aw=="},"stored"] got [{"_binary":"Aw=="},"lost"]`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, saw := replayApp(t, tc.changed)
			r, err := NewReader(wsRecording(t), "ws.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ReplayTo(context.Background(), r, ReplayToOptions{URL: url, Transport: tc.transport, Grace: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Sessions) != 1 {
				t.Fatalf("%d sessions", len(rep.Sessions))
			}
			s := rep.Sessions[0]
			if s.Sid != "OLDSID" || s.NewSid == "" || s.NewSid == "OLDSID" {
				t.Fatalf("sids %q → %q", s.Sid, s.NewSid)
			}
			var got []string
			for _, d := range s.Diffs {
				got = append(got, d.Msg)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			// The client's packets went out as recorded: key order and
			// number spelling kept, attachments re-sent.
			if seen := saw(); len(seen) != 3 || seen[0] != `["chat",{"b":1,"a":2.50}]` || seen[2] != `["upload",{"_placeholder":true,"num":0}]` {
				t.Fatalf("server saw %q", seen)
			}
		})
	}
}

func TestReplayToErrors(t *testing.T) {
	tests := []struct {
		name string
		opts ReplayToOptions
		want string
	}{
		{"no url", ReplayToOptions{}, "no URL"},
		{"bad url", ReplayToOptions{URL: "ws://x"}, "want an http:// or https:// URL"},
		{"bad transport", ReplayToOptions{URL: "http://x", Transport: "smoke"}, `transport "smoke"`},
		{"unknown sid", ReplayToOptions{URL: "http://127.0.0.1:1", Sid: "nope"}, `no session with sid "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(wsRecording(t), "ws.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ReplayTo(context.Background(), r, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// A server that cannot be reached is a difference of the session, not an
// error of the replay.
func TestReplayToUnreachable(t *testing.T) {
	r, err := NewReader(wsRecording(t), "ws.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ReplayTo(context.Background(), r, ReplayToOptions{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Differences() != 1 || !strings.HasPrefix(rep.Sessions[0].Diffs[0].Msg, "handshake failed: ") {
		t.Fatalf("%+v", rep.Sessions)
	}
	var text, js bytes.Buffer
	rep.WriteText(&text)
	rep.WriteJSON(&js)
	if !strings.Contains(text.String(), "session OLDSID (websocket): 0 sent, 0 received, 1 difference\n  handshake failed:") ||
		!strings.HasSuffix(text.String(), "1 session, 1 difference\n") {
		t.Fatalf("text:\n%s", text.String())
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], `"kind":"difference","sid":"OLDSID","what":"session"`) || !strings.Contains(lines[2], `"kind":"summary"`) {
		t.Fatalf("json:\n%s", js.String())
	}
}

func TestCompareServer(t *testing.T) {
	ev := func(name, args string) shape { return shape{typ: sio.Event, nsp: "/", name: name, args: args} }
	tests := []struct {
		name     string
		rec, got []shape
		want     []string
	}{
		{"equal", []shape{ev("a", "[1]"), ev("b", "[]")}, []shape{ev("a", "[1]"), ev("b", "[]")}, nil},
		{"reordered is equal", []shape{ev("a", "[1]"), ev("b", "[]")}, []shape{ev("b", "[]"), ev("a", "[1]")}, nil},
		{"changed args", []shape{ev("a", "[1]")}, []shape{ev("a", "[2]")}, []string{`server event "a": recorded [1] got [2]`}},
		{"missing and extra", []shape{ev("a", "[1]")}, []shape{ev("b", "[1]")}, []string{`missing server event "a" [1]`, `extra server event "b" [1]`}},
		{"connect refused", []shape{{typ: sio.Connect, nsp: "/x"}}, []shape{{typ: sio.ConnectError, nsp: "/x", args: `{"message":"no"}`}},
			[]string{`connect "/x": recorded CONNECT got CONNECT_ERROR {"message":"no"}`}},
		{"no connect reply", []shape{{typ: sio.Connect, nsp: "/"}}, nil, []string{`connect "/": recorded CONNECT got no reply`}},
		{"missing disconnect", []shape{{typ: sio.Disconnect, nsp: "/"}}, nil, []string{`missing server DISCONNECT`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range compareServer(tc.rec, tc.got) {
				got = append(got, d.Msg)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}
