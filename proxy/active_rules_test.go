package proxy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/active/rules"
)

// A rules file over a live WebSocket: an inject as the reply to a match,
// a timed inject, and a mock answer.
func TestActiveRulesInject(t *testing.T) {
	up := echoServer(t, websocket.Upgrader{}, nil)
	e := active.New(active.Options{})
	path := filepath.Join(t.TempDir(), "rules.json")
	os.WriteFile(path, []byte(`[
		{"name": "greet", "match": "event:join", "inject": {"as": "server", "event": "welcome", "args": ["hi"]}},
		{"name": "ticker", "inject": {"as": "server", "event": "tick"}, "every_s": 0.05},
		{"name": "mock", "match": "event:get", "respond": [{"id": 1}]}
	]`), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parse := func(s string) (rules.Matcher, error) { return eventNameIs(strings.TrimPrefix(s, "event:")), nil }
	if err := rules.Watch(ctx, path, e, nil, parse, t.Logf); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Active: e}, up.URL)
	c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=r1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteMessage(websocket.TextMessage, []byte(`42["join","room"]`))
	c.WriteMessage(websocket.TextMessage, []byte(`421["get",7]`))
	seen := map[string]bool{}
	n := 0
	for !(seen[`42["welcome","hi"]`] && seen[`42["tick"]`] && seen[`431[{"id":1}]`] && seen[`42["join","room"]`]) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (seen %v)", err, seen)
		}
		seen[string(b)] = true
		if n++; n > 300 {
			t.Fatalf("seen %v", seen)
		}
		if string(b) == `421["get",7]` {
			t.Fatal("the mocked event reached the server")
		}
	}
}
