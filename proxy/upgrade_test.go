package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// echoUpgrader accepts any origin: tests run cross-origin by design.
func echoServer(t testing.TB, up websocket.Upgrader, rl *recordingListener) *httptest.Server {
	up.CheckOrigin = func(*http.Request) bool { return true }
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := writePieces(c, typ, b, up.WriteBufferSize); err != nil {
				return
			}
		}
	}))
	if rl != nil {
		rl.Listener = s.Listener
		s.Listener = rl
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// writePieces writes a message in small Writes when fragmenting is
// wanted: gorilla's WriteMessage sends one frame whatever its buffer size,
// while a NextWriter flushes a frame each time its buffer fills.
func writePieces(c *websocket.Conn, typ int, b []byte, wbuf int) error {
	if wbuf == 0 {
		return c.WriteMessage(typ, b)
	}
	w, err := c.NextWriter(typ)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		n := min(len(b), 100)
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return w.Close()
}

// noisyText is text that deflate cannot shrink below a few frames.
func noisyText(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789 "[r.IntN(37)]
	}
	return string(b)
}

func wsURL(httpURL, path string) string {
	return "ws" + strings.TrimPrefix(httpURL, "http") + path
}

// collectWS gathers the observations of one connection up to its close.
func collectWS(t testing.TB, h *harness) (open *obs.WSOpen, msgs [2][]*obs.WSMessage, cl *obs.WSClose) {
	t.Helper()
	for {
		o := h.nextAny(t)
		switch o.Kind {
		case obs.KindWSOpen:
			open = o.WSOpen
		case obs.KindWSMsg:
			msgs[o.WSMsg.Dir] = append(msgs[o.WSMsg.Dir], o.WSMsg)
		case obs.KindWSClose:
			return open, msgs, o.WSClose
		}
	}
}

func (h *harness) nextAny(t testing.TB) obs.Obs {
	t.Helper()
	ctx := withTimeout(t)
	select {
	case o := <-h.sink.C():
		return o
	case <-ctx.Done():
		t.Fatal("no observation")
	}
	return obs.Obs{}
}

func TestWebSocketRelay(t *testing.T) {
	big := noisyText(4000)
	tests := []struct {
		name     string
		compress bool
		wbuf     int // small write buffers make gorilla fragment messages
	}{
		{"plain", false, 0},
		{"compressed", true, 0},
		{"fragmented", false, 256},
		{"compressed and fragmented", true, 256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rl := &recordingListener{}
			up := echoServer(t, websocket.Upgrader{EnableCompression: tc.compress, WriteBufferSize: tc.wbuf}, rl)
			h := newHarness(t, Options{}, up.URL)
			var clientConn *recordingConn
			d := websocket.Dialer{
				EnableCompression: tc.compress,
				WriteBufferSize:   tc.wbuf,
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					clientConn = &recordingConn{Conn: c}
					return clientConn, nil
				},
			}
			c, resp, err := d.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); tc.compress != strings.Contains(got, "permessage-deflate") {
				t.Fatalf("extensions %q", got)
			}
			sent := []struct {
				typ  int
				data string
			}{
				{websocket.TextMessage, `42["chat","hello 👋"]`},
				{websocket.BinaryMessage, "\x00\x01\x02\xff"},
				{websocket.TextMessage, big},
				// Larger than every read buffer, then small again: the
				// relay moves between its small and borrowed buffers.
				{websocket.BinaryMessage, noisyText(100 << 10)},
				{websocket.TextMessage, `42["after",1]`},
			}
			for _, m := range sent {
				if err := writePieces(c, m.typ, []byte(m.data), tc.wbuf); err != nil {
					t.Fatal(err)
				}
				typ, b, err := c.ReadMessage()
				if err != nil || typ != m.typ || string(b) != m.data {
					t.Fatalf("echo %d %q %v", typ, b, err)
				}
			}
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"))
			if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 1000) {
				t.Fatalf("close: %v", err)
			}
			c.Close()

			open, msgs, cl := collectWS(t, h)
			// The relay is done: every byte is where it is going.
			srv := rl.all()
			if len(srv) != 1 {
				t.Fatalf("upstream saw %d connections", len(srv))
			}
			if a, b := clientConn.afterHead(false), srv[0].afterHead(true); !bytes.Equal(a, b) || len(a) == 0 {
				t.Fatalf("client→server bytes changed: sent %d bytes, upstream got %d", len(a), len(b))
			}
			if a, b := srv[0].afterHead(false), clientConn.afterHead(true); !bytes.Equal(a, b) || len(a) == 0 {
				t.Fatalf("server→client bytes changed: sent %d bytes, client got %d", len(a), len(b))
			}

			if open == nil || open.Status != 101 || tc.compress != strings.Contains(open.Extensions, "permessage-deflate") ||
				open.URL != "/socket.io/?EIO=4&transport=websocket" || open.Upstream != up.URL {
				t.Fatalf("open %+v", open)
			}
			for dir, list := range msgs {
				if len(list) != len(sent)+1 {
					t.Fatalf("%s: %d messages, want %d", decode.Dir(dir), len(list), len(sent)+1)
				}
				for i, m := range sent {
					o := list[i]
					if int(o.Opcode) != m.typ || string(o.Data) != m.data || o.Err != "" || o.Conn != open.Conn {
						t.Errorf("%s message %d: opcode %d data %.40q err %q", decode.Dir(dir), i, o.Opcode, o.Data, o.Err)
					}
					if o.Compressed != tc.compress {
						t.Errorf("%s message %d: compressed %v", decode.Dir(dir), i, o.Compressed)
					}
				}
				if tc.wbuf > 0 && list[2].Frames < 2 {
					t.Errorf("%s: big message came in %d frames; the test meant to fragment it", decode.Dir(dir), list[2].Frames)
				}
				if last := list[len(sent)]; last.Opcode != 8 || last.CloseCode != 1000 {
					t.Errorf("%s: last message opcode %d code %d", decode.Dir(dir), last.Opcode, last.CloseCode)
				}
			}
			if cl.By != "client" || cl.Code != 1000 || cl.Reason != "bye" || !cl.Clean || cl.Undecodable ||
				cl.BytesC2S != int64(len(clientConn.afterHead(false))) || cl.BytesS2C != int64(len(srv[0].afterHead(false))) {
				t.Fatalf("close %+v", cl)
			}
		})
	}
}

// rawUpgrade is a minimal upgrade request, for clients that must control
// exactly what goes on the wire.
const rawUpgrade = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
	"Host: example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
	"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"

func dialRaw(t testing.TB, h *harness) net.Conn {
	c, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A frame sent in the same write as the upgrade request sits in the
// server's bufio.Reader after the hijack; it must still reach the upstream.
func TestWebSocketBufferedBytesForwarded(t *testing.T) {
	up := echoServer(t, websocket.Upgrader{}, nil)
	h := newHarness(t, Options{}, up.URL)
	c := dialRaw(t, h)
	frame := ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{1, 2, 3, 4}, []byte("early"))
	if _, err := c.Write(append([]byte(rawUpgrade), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	want := ws.AppendFrame(nil, ws.OpText, true, false, nil, []byte("early"))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("echo %q %v, want %q", got, err, want)
	}
	if m := h.next(t, obs.KindWSMsg).WSMsg; m.Dir != decode.C2S || string(m.Data) != "early" {
		t.Fatalf("first message %+v", m)
	}
}

// rawServer answers the upgrade itself and then runs fn on the hijacked
// connection.
func rawServer(t testing.TB, fn func(c net.Conn, br *bufio.Reader)) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		fn(c, brw.Reader)
	}))
	t.Cleanup(s.Close)
	return s
}

// The client finishes sending (FIN) but still wants the server's answer:
// the relay half-closes towards the upstream and keeps relaying back.
func TestWebSocketHalfClose(t *testing.T) {
	fromClient := ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{9, 8, 7, 6}, []byte("last words"))
	afterEOF := ws.AppendFrame(nil, ws.OpText, true, false, nil, []byte("answer after your FIN"))
	got := make(chan []byte, 1)
	up := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		b, _ := io.ReadAll(br) // returns at the proxy's CloseWrite
		got <- b
		c.Write(afterEOF)
	})
	h := newHarness(t, Options{}, up.URL)
	c := dialRaw(t, h)
	io.WriteString(c, rawUpgrade)
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	c.Write(fromClient)
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(rest, afterEOF) {
		t.Fatalf("client got %q %v", rest, err)
	}
	if b := <-got; !bytes.Equal(b, fromClient) {
		t.Fatalf("upstream got %q", b)
	}
	_, msgs, cl := collectWS(t, h)
	if cl.By != "client" || cl.Clean || cl.Err != "" || len(msgs[0]) != 1 || len(msgs[1]) != 1 {
		t.Fatalf("close %+v, %d/%d messages", cl, len(msgs[0]), len(msgs[1]))
	}
}

// One side vanishes without a close frame: the other side is torn down
// and the relay ends.
func TestWebSocketPeerGone(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			upstreamEnded := make(chan struct{})
			up := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				defer close(upstreamEnded)
				if side == "server" {
					return // drop the connection at once
				}
				io.Copy(io.Discard, br) // until the proxy lets go
			})
			h := newHarness(t, Options{}, up.URL)
			c := dialRaw(t, h)
			io.WriteString(c, rawUpgrade)
			br := bufio.NewReader(c)
			if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
				t.Fatalf("%v %v", resp, err)
			}
			if side == "client" {
				c.Write(ws.AppendFrame(nil, ws.OpText, true, false, &[4]byte{1, 1, 1, 1}, []byte("2")))
				c.Close()
			} else {
				if _, err := io.ReadAll(br); err != nil {
					t.Fatalf("client read: %v", err)
				}
				c.Close() // as a browser does on the server's FIN
			}
			<-upstreamEnded
			_, _, cl := collectWS(t, h)
			if cl.By != side || cl.Clean || cl.Code != 0 {
				t.Fatalf("close %+v", cl)
			}
			waitFor(t, func() bool { return h.p.Stats().WSOpen == 0 })
		})
	}
}

// Proxy.Close ends hijacked connections, which http.Server.Shutdown does
// not track.
func TestProxyCloseTearsDownWebSockets(t *testing.T) {
	up := echoServer(t, websocket.Upgrader{}, nil)
	h := newHarness(t, Options{}, up.URL)
	c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if s := h.p.Stats(); s.WSOpen != 1 || s.WSTotal != 1 {
		t.Fatalf("stats %+v", s)
	}
	h.p.Close()
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("connection still open after Close")
	}
	if s := h.p.Stats(); s.WSOpen != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Later upgrades are refused.
	if _, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/x"), nil); err == nil {
		t.Fatal("upgrade accepted after Close")
	}
}

// An upgrade the upstream refuses is relayed as is, and observed as an
// HTTP exchange with its body (FAULTS.md A reads the error code there).
func TestUpgradeRefused(t *testing.T) {
	const body = `{"code":3,"message":"Bad request"}`
	up := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("X-Forwarded-For") == "" {
			http.Error(w, "headers lost", 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, body)
	}))
	h := newHarness(t, Options{}, up.URL)
	_, resp, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=gone"), nil)
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
		t.Fatalf("dial: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || string(b) != body {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
	ex := h.next(t, obs.KindHTTP).HTTP
	if ex.Status != 400 || string(ex.RespBody) != body || ex.ReqHeader.Get("Upgrade") != "websocket" {
		t.Fatalf("exchange %d %q %v", ex.Status, ex.RespBody, ex.ReqHeader)
	}
}

// Garbage after the upgrade is relayed unchanged; the tap gives up on that
// direction and says so.
func TestWebSocketUndecodable(t *testing.T) {
	up := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		io.Copy(c, br) // echo raw bytes
	})
	h := newHarness(t, Options{}, up.URL)
	c := dialRaw(t, h)
	io.WriteString(c, rawUpgrade)
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	garbage := []byte("\x83\x83\x01\x02\x03\x04abc then anything at all")
	c.Write(garbage)
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(got, garbage) {
		t.Fatalf("echo %q %v", got, err)
	}
	_, msgs, cl := collectWS(t, h)
	if !cl.Undecodable || len(msgs[0]) != 1 || !strings.Contains(msgs[0][0].Err, "reserved opcode 3") {
		t.Fatalf("close %+v msgs %+v", cl, msgs[0])
	}
}

// A WebSocket-only session has no polling handshake: the sticky balancer
// learns its sid from the first server message.
func TestStickyLearnsSidFromWebSocket(t *testing.T) {
	var urls []string
	for _, name := range []string{"a", "b"} {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		s := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !websocket.IsWebSocketUpgrade(r) {
				io.WriteString(w, name)
				return
			}
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			c.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"`+name+`-ws","upgrades":[],"pingInterval":25000}`))
			c.ReadMessage() // until the client leaves
		}))
		urls = append(urls, s.URL)
	}
	h := newHarness(t, Options{Balance: Sticky}, urls...)
	c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, open, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := sniffSid(open)
	name := strings.TrimSuffix(sid, "-ws")
	for range 3 {
		resp, err := testClient(t).Get(h.url + "/socket.io/?EIO=4&transport=polling&sid=" + sid)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != name {
			t.Fatalf("sid %s went to %q", sid, b)
		}
	}
}
