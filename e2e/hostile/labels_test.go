package hostile

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/event"
)

// TestLabelsPutTheBlameRight: what the user is told names the side that
// did it. An upstream whose process dies mid-WebSocket sent no close
// frame: "transport close", not "forced close"; a client that aborts its
// body or sends bare-LF chunks is the client's doing, answered 400.
func TestLabelsPutTheBlameRight(t *testing.T) {
	t.Run("upstream gone mid-WebSocket", func(t *testing.T) {
		kill := make(chan struct{})
		up := startUpstream(t, &upstream{Sid: "goneSID", WSFrames: [][]byte{[]byte("40")}})
		// Replace the handler's read loop: drop the TCP connection without
		// a close frame once the test says so.
		inner := up.srv.Config.Handler
		up.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !websocket.IsWebSocketUpgrade(r) {
				inner.ServeHTTP(w, r)
				return
			}
			c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
			if err != nil {
				return
			}
			c.WriteMessage(websocket.TextMessage, up.openPacket())
			<-kill
			c.UnderlyingConn().Close()
		})
		sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--json")
		ws := newClient(t, sp.url).dialWS()
		if _, m, err := ws.ReadMessage(); err != nil || string(m) != string(up.openPacket()) {
			t.Fatalf("open packet: %q %v", m, err)
		}
		close(kill)
		if _, _, err := ws.ReadMessage(); err == nil {
			t.Fatal("the client's WebSocket stayed open after the upstream died")
		}
		ws.Close() // as a client does once its connection is lost
		ls := sp.stdout.waitFor(t, "the session close", func(ls []string) bool {
			return strings.Contains(strings.Join(ls, "\n"), `"action":"close"`)
		})
		for _, ev := range jsonEvents(t, ls) {
			if ev.Kind == event.KindSession && ev.Action == "close" && (ev.Reason != "transport close" || ev.By != "server") {
				t.Errorf("close reason %q by %q, want transport close by server", ev.Reason, ev.By)
			}
		}
	})
	t.Run("client aborts its body, or sends bare-LF chunks", func(t *testing.T) {
		up := startUpstream(t, &upstream{Sid: "bodySID"})
		sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--json")
		addr := strings.TrimPrefix(sp.url, "http://")
		send := func(head, body string, abort bool) (*http.Response, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(waitLimit))
			io.WriteString(c, "POST /socket.io/?EIO=4&transport=polling&sid=bodySID HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"+head+"\r\n"+body)
			if abort {
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
				return nil, nil
			}
			return http.ReadResponse(bufio.NewReader(c), nil)
		}
		send("Content-Length: 1000\r\n", "42[\"half", true)
		resp, err := send("Transfer-Encoding: chunked\r\n", "5\n42[\"x\n0\n\n", false)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "client sent a malformed request body") {
			t.Errorf("bare-LF chunked body answered %d %q, want 400 naming the client", resp.StatusCode, body)
		}
		ls := sp.stdout.waitFor(t, "both failed POSTs", func(ls []string) bool {
			j := strings.Join(ls, "\n")
			return strings.Contains(j, "client_abort") && strings.Contains(j, "client_bad_request")
		})
		if j := strings.Join(ls, "\n"); strings.Contains(j, "upstream_reset") {
			t.Errorf("a client's fault blamed on the upstream:\n%s", j)
		}
	})
}
