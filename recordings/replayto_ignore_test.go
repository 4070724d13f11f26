package recordings

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/sioserver"
)

func TestParseIgnore(t *testing.T) {
	for _, ok := range []string{"..socketId", "$..sid", "$[0].user.id", "[*].id", "user.name", `$[0]["a key"]`, "$.*.ts"} {
		if _, err := ParseIgnore(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"..":       "after .. comes one key name",
		"..a.b":    "after .. comes one key name",
		"$":        "names nothing",
		"$[x]":     "[x] is not an index, * or a quoted key",
		"$[0":      "[ without ]",
		"$.a..b":   "empty key",
		"$[0]user": `expected . or [ at "user"`,
	} {
		_, err := ParseIgnore(bad)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `--ignore "`+bad+`"`) {
			t.Errorf("%s: error %v, want it to name the path and say %q", bad, err, want)
		}
	}
}

func TestIgnorerMask(t *testing.T) {
	tests := []struct {
		paths    []string
		defaults bool
		in, want string
	}{
		{nil, true, `[{"from":"Zx9_aB3cD4eF5gH6iJ7k","text":"hi","at":1764740000000}]`, `[{"at":"<ignored>","from":"<ignored>","text":"hi"}]`},
		{nil, true, `[{"socketId":"x","ts":"2026-01-02T03:04:05.678Z","n":20}]`, `[{"n":20,"socketId":"<ignored>","ts":"<ignored>"}]`},
		{nil, true, `["abcdefghijklmnopqrst",12345]`, `["abcdefghijklmnopqrst",12345]`}, // a word, a small number
		{[]string{"$[0].user.token"}, false, `[{"user":{"token":"t1","name":"ann"}},{"user":{"token":"t2"}}]`, `[{"user":{"name":"ann","token":"<ignored>"}},{"user":{"token":"t2"}}]`},
		{[]string{"[*].id"}, false, `[{"id":1},{"id":2},3]`, `[{"id":"<ignored>"},{"id":"<ignored>"},3]`},
		{nil, false, `[{"sid":"x"}]`, `[{"sid":"x"}]`},
	}
	for _, tc := range tests {
		ig, err := newIgnorer(tc.paths, tc.defaults)
		if err != nil {
			t.Fatal(err)
		}
		if got := ig.mask(tc.in); got != tc.want {
			t.Errorf("%v %v %s:\n got %s\nwant %s", tc.paths, tc.defaults, tc.in, got, tc.want)
		}
	}
}

// A broadcast that carries the sender's socket id, a server time and a
// token: by default only the token differs; --ignore takes it out too;
// without the defaults everything volatile differs.
func TestReplayToIgnoresVolatileFields(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	n := 0
	msg := func(dir decode.Dir, data string) obs.Obs {
		n++
		return obs.Obs{Kind: obs.KindWSMsg, Time: t0.Add(time.Duration(n) * time.Millisecond),
			WSMsg: &obs.WSMessage{Conn: 1, Dir: dir, Opcode: 1, Data: []byte(data), Frames: 1, WireLen: len(data) + 2}}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{Mode: "reverse"})
	for _, o := range []obs.Obs{
		{Kind: obs.KindWSOpen, Time: t0, WSOpen: &obs.WSOpen{Conn: 1, URL: "/socket.io/?EIO=4&transport=websocket", Status: 101, ReqHeader: http.Header{}, RespHeader: http.Header{}}},
		msg(decode.S2C, `0{"sid":"OLDSID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
		msg(decode.C2S, `40`),
		msg(decode.S2C, `40{"sid":"sock1"}`),
		msg(decode.S2C, `42["joined",{"from":"Ab3dEf9hIjKlMnOpQrSt","at":1764740000000,"user":{"name":"ann","token":"tok-1"}}]`),
	} {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	rec := buf.Bytes()

	srv := sioserver.New(sioserver.Options{})
	srv.Handle("/", &sioserver.Namespace{OnConnect: func(s *sioserver.Socket) {
		s.Emit("joined", map[string]any{"from": "Zz9yXw8vUt7sRq6pOn5m", "at": time.Now().UnixMilli(), "user": map[string]any{"name": "ann", "token": "tok-2"}})
	}})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	tests := []struct {
		name      string
		ignore    []string
		noDefault bool
		want      string // a difference must mention it; "" means no difference
	}{
		{"defaults: only the token differs", nil, false, `"token":"tok-2"`},
		{"--ignore the token", []string{"$[0].user.token"}, false, ""},
		{"--ignore ..token", []string{"..token"}, false, ""},
		{"no defaults", []string{"..token"}, true, `Zz9yXw8vUt7sRq6pOn5m`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(rec), "rec.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ReplayTo(context.Background(), r, ReplayToOptions{URL: hs.URL, Grace: 300 * time.Millisecond, Ignore: tc.ignore, NoDefaultIgnore: tc.noDefault})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, d := range rep.Sessions[0].Diffs {
				msgs = append(msgs, d.Msg)
			}
			all := strings.Join(msgs, "\n")
			switch {
			case tc.want == "" && len(msgs) > 0:
				t.Fatalf("differences reported:\n%s", all)
			case tc.want != "" && (len(msgs) != 1 || !strings.Contains(all, tc.want)):
				t.Fatalf("differences:\n%s\nwant one mentioning %s", all, tc.want)
			}
		})
	}
}
