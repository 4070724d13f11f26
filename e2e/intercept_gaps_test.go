package e2e

import (
	"path/filepath"
	"testing"
)

// TestInterceptMsgpackPollingTransparent injects an event as the server
// into a msgpack polling session that sioproxy relayed transparently (no
// rules file, so its active layer never saw a packet of it): the packet
// must be encoded with the session's parser, as the analyzer detected it,
// for the real client's handler to fire.
func TestInterceptMsgpackPollingTransparent(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "ctl.sock")
	srv := startServer(t, map[string]any{"parser": "msgpack"})
	px := startProxy(t, srv.url, "--control", sock)
	c := startIClient(t, map[string]any{"url": px.url, "transports": []string{"polling"}, "parser": "msgpack"})
	// A round trip, so the analyzer has decoded msgpack packets of the
	// session before the injection.
	if r := c.emit(t, "ping-me", []any{1}, 20000); r["ack"] == nil {
		t.Fatalf("ping-me: %v\n%s", r, px.describe())
	}
	sioctl(t, "inject", "--control", sock, "--sid", c.sid, "--as", "server", "hello", `{"x":1}`, `-5`)
	if got := c.got(t, "hello"); got != `[{"x":1},-5]` {
		t.Fatalf("client got hello %s", got)
	}
}
