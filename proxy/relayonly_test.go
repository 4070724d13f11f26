package proxy

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestRelayOnly relays an HTTP exchange and a WebSocket with and without
// Options.RelayOnly. Both relay the same bytes; without it the sink gets
// the exchange, the open, both messages and the close, with it nothing.
func TestRelayOnly(t *testing.T) {
	for _, relayOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("RelayOnly=%v", relayOnly), func(t *testing.T) {
			up := echoServer(t, websocket.Upgrader{}, nil)
			h := newHarness(t, Options{RelayOnly: relayOnly}, up.URL)

			// Not an upgrade: the echo server answers 400.
			resp, err := testClient(t).Get(h.url + "/socket.io/?EIO=4&transport=polling")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || len(body) == 0 {
				t.Fatalf("GET: %d %q, want the echo server's 400", resp.StatusCode, body)
			}

			c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
			if err != nil {
				t.Fatal(err)
			}
			const msg = `42["chat","relayed"]`
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(waitLimit))
			if typ, b, err := c.ReadMessage(); err != nil || typ != websocket.TextMessage || string(b) != msg {
				t.Fatalf("echo: %d %q %v, want %q", typ, b, err, msg)
			}
			c.Close()

			// The relay pushes the close before it counts the connection
			// closed; an exchange is counted just before it is pushed.
			deadline := time.Now().Add(waitLimit)
			for s := h.p.Stats(); s.WSOpen != 0 || s.WSTotal != 1 || s.Exchanges != 1 || !relayOnly && h.sink.Len() < 5; s = h.p.Stats() {
				if time.Now().After(deadline) {
					t.Fatalf("the relay did not finish, or pushed %d observations (want the exchange, the open, 2 messages and the close): %+v", h.sink.Len(), s)
				}
				time.Sleep(time.Millisecond)
			}
			if n := h.sink.Len(); relayOnly && n != 0 {
				t.Fatalf("%d observations pushed, want none; the first is %s", n, (<-h.sink.C()).Kind)
			}
		})
	}
}
