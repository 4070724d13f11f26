package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/testnet"
)

// TestRelayUpstreamUnreachable: with nothing listening at the target, every
// request is answered 502 with a plain body naming the target and the dial
// error, instead of hanging or a bare status.
func TestRelayUpstreamUnreachable(t *testing.T) {
	t.Parallel()
	addr := testnet.RefusedAddr(t)
	px := startProxy(t, "http://"+addr)
	client := &http.Client{Timeout: 30 * time.Second}
	for _, path := range []string{"/socket.io/?EIO=4&transport=polling", "/", "/app.js"} {
		resp, err := client.Get(px.url + path)
		if err != nil {
			t.Errorf("GET %s through sioproxy: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("GET %s: status %d, want 502; body %q", path, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s: Content-Type %q, want text/plain", path, ct)
		}
		if !strings.Contains(string(body), addr) || !strings.Contains(string(body), "connection refused") {
			t.Errorf("GET %s: 502 body %q should name the target %s and the dial error (connection refused)", path, body, addr)
		}
	}
	if px.exited() {
		t.Errorf("sioproxy exited\n%s", px.describe())
	}
}

// TestRelayClientKilled: a client that dies in the middle of a long-poll or
// of a WebSocket leaves the proxy serving other clients, and sioproxy logs
// the end of its session.
func TestRelayClientKilled(t *testing.T) {
	for _, transport := range []string{"polling", "websocket"} {
		t.Run("mid-"+transport, func(t *testing.T) {
			t.Parallel()
			// Short ping times so the server notices the dead client soon.
			srv := startServer(t, map[string]any{"pingInterval": 1000, "pingTimeout": 2000})
			px := startProxy(t, srv.url)
			victim := startClient(t, px.url, "hang", map[string]any{"transports": []string{transport}})
			var sid string
			ok := victim.stdout.waitFor(clientTimeout, func(lines []string) bool {
				for _, l := range lines {
					var m struct {
						Ready bool   `json:"ready"`
						Sid   string `json:"sid"`
					}
					if json.Unmarshal([]byte(l), &m) == nil && m.Ready {
						sid = m.Sid
						return true
					}
				}
				return false
			})
			if !ok {
				t.Fatalf("the hanging client never got ready\n%s", victim.describe())
			}
			if transport == "polling" {
				// Wait until sioproxy has seen a GET of this session
				// start, so the kill lands on a pending long-poll.
				px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
					return hasSessionTraffic(evs, sid)
				})
			}
			victim.killGroup(9)
			if err := victim.wait(30 * time.Second); err == nil {
				t.Fatalf("the killed client exited cleanly?")
			}

			// Others are still served.
			run := runClient(t, px.url, "default", nil)
			if len(run.sids) != 1 {
				t.Errorf("the client after the kill had %d sessions, want 1", len(run.sids))
			}

			evs, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
				return closeLine(evs, sid) != nil
			})
			if !ok {
				t.Errorf("sioproxy logged no session close for the killed client's sid %q within %v; its session lines: %v", sid, settleTimeout, sessionLines(evs, sid))
			} else {
				c := closeLine(evs, sid)
				t.Logf("close of the killed session: by=%q reason=%q code=%d", c.By, c.Reason, c.Code)
				if c.Reason == "" {
					t.Errorf("the close line of the killed session has no reason: %s", brief(*c))
				}
			}
			if px.exited() {
				t.Errorf("sioproxy exited\n%s", px.describe())
			}
		})
	}
}

func hasSessionTraffic(evs []event.Event, sid string) bool {
	for _, e := range evs {
		if e.Sid == sid && e.Kind == event.KindPacket && e.Dir == "s2c" && e.Type == "ACK" {
			return true
		}
	}
	return false
}

func closeLine(evs []event.Event, sid string) *event.Event {
	for i := range evs {
		if evs[i].Kind == event.KindSession && evs[i].Action == "close" && evs[i].Sid == sid {
			return &evs[i]
		}
	}
	return nil
}

func sessionLines(evs []event.Event, sid string) []string {
	var out []string
	for _, e := range evs {
		if e.Sid == sid && e.Kind == event.KindSession {
			out = append(out, brief(e))
		}
	}
	return out
}

// checkDeflateNegotiated: a WebSocket through sioproxy negotiates
// permessage-deflate with the server, and compressed frames flow.
func checkDeflateNegotiated(t *testing.T, run *proxiedRun) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(run.proxy.url, "http") + "/socket.io/?EIO=4&transport=websocket"
	d := websocket.Dialer{EnableCompression: true, HandshakeTimeout: 30 * time.Second}
	c, resp, err := d.Dial(u, nil)
	if err != nil {
		t.Errorf("WebSocket with permessage-deflate through sioproxy: %v", err)
		return
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("Sec-WebSocket-Extensions through sioproxy is %q, want permessage-deflate negotiated", ext)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil || !strings.HasPrefix(string(msg), `0{"sid":`) {
		t.Errorf("first (compressed) message through sioproxy: %q, %v; want the open packet", msg, err)
	}
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
}

// TestRelayMalformedPacket: a Socket.IO packet with broken JSON is relayed
// as it is (the server reacts through sioproxy exactly as it does directly:
// it closes the connection), and sioproxy reports a decode error for the
// session instead of stopping.
func TestRelayMalformedPacket(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	_, directClose := sendMalformed(t, srv.url)
	t.Logf("direct: the server answered the malformed packet with %s", directClose)
	px := startProxy(t, srv.url)
	sid, closeErr := sendMalformed(t, px.url)
	if closeErr != directClose {
		t.Errorf("the server ended the connection differently through sioproxy:\n  direct:  %s\n  proxied: %s", directClose, closeErr)
	}
	evs, ok := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
		return decodeError(evs, sid) != nil && closeLine(evs, sid) != nil
	})
	if decodeError(evs, sid) == nil {
		t.Errorf("sioproxy reported no decode error (kind error) for sid %q after a malformed packet", sid)
	}
	if !ok {
		t.Errorf("sioproxy logged no session close for sid %q; its session lines: %v", sid, sessionLines(evs, sid))
	}
	// The proxy goes on serving.
	runClient(t, px.url, "websocket", nil)
}

// sendMalformed opens a WebSocket session, joins "/", sends a packet whose
// JSON is cut off, and returns the sid and how the connection ended.
func sendMalformed(t *testing.T, base string) (sid string, ended string) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	c, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(clientTimeout))
	_, open, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read the open packet from %s: %v", u, err)
	}
	var hs struct {
		Sid string `json:"sid"`
	}
	if len(open) < 2 || open[0] != '0' || json.Unmarshal(open[1:], &hs) != nil || hs.Sid == "" {
		t.Fatalf("open packet from %s: %q", u, open)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), "40") {
		t.Fatalf("CONNECT answer from %s: %q, %v", u, msg, err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(`42["broken",{"a":`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return hs.Sid, fmt.Sprintf("close frame %d", ce.Code)
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("%s: the server did not close the connection after a malformed packet", u)
			}
			return hs.Sid, "connection closed without a close frame"
		}
		if string(msg) != "2" { // pings may arrive meanwhile
			t.Logf("%s: unexpected message %q after the malformed packet", u, msg)
		}
	}
}

func decodeError(evs []event.Event, sid string) *event.Event {
	for i := range evs {
		if evs[i].Kind == event.KindError && evs[i].Sid == sid {
			return &evs[i]
		}
	}
	return nil
}
