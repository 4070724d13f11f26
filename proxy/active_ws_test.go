package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// With an Engine but no actor the relay stays byte-exact.
func TestActiveIdleIsByteExact(t *testing.T) {
	for _, compress := range []bool{false, true} {
		rl := &recordingListener{}
		up := echoServer(t, websocket.Upgrader{EnableCompression: compress}, rl)
		h := newHarness(t, Options{Active: active.New(active.Options{})}, up.URL)
		var cc *recordingConn
		d := websocket.Dialer{EnableCompression: compress, NetDialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, n, a)
			cc = &recordingConn{Conn: c}
			return cc, err
		}}
		c, _, err := d.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{`42["chat","hi"]`, noisyText(3000)} {
			c.WriteMessage(websocket.TextMessage, []byte(m))
			if _, b, err := c.ReadMessage(); err != nil || string(b) != m {
				t.Fatalf("echo %.30q %v", b, err)
			}
		}
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
		c.ReadMessage()
		c.Close()
		collectWS(t, h)
		srv := rl.all()[0]
		if a, b := cc.afterHead(false), srv.afterHead(true); !bytes.Equal(a, b) {
			t.Fatalf("compress %v: client→server bytes changed with an idle engine", compress)
		}
	}
}

// rewriter is a test actor: it upper-cases the args of "chat" events
// going c2s and drops "secret" events.
type rewriter struct{}

func (rewriter) Name() string { return "test-rule" }

func (rewriter) OnMessage(c *active.Conn, m *active.Message) {
	if m.SIO == nil || m.Dir != decode.C2S {
		return
	}
	switch m.SIO.EventName() {
	case "chat":
		var args []string
		json.Unmarshal(m.SIO.Data, &args)
		for i := range args {
			args[i] = strings.ToUpper(args[i])
		}
		b, _ := json.Marshal(args)
		if err := m.SetArgs(b, "test-rule"); err != nil {
			panic(err)
		}
	case "secret":
		m.Drop("test-rule")
	}
}

func TestActiveWebSocketRewrite(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "deflate"}[compress], func(t *testing.T) {
			rl := &recordingListener{}
			up := echoServer(t, websocket.Upgrader{EnableCompression: compress}, rl)
			e := active.New(active.Options{})
			h := newHarness(t, Options{Active: e}, up.URL)
			d := websocket.Dialer{EnableCompression: compress}
			c, _, err := d.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=abc"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			roundTrip := func(send, want string) {
				t.Helper()
				c.WriteMessage(websocket.TextMessage, []byte(send))
				if _, b, err := c.ReadMessage(); err != nil || string(b) != want {
					t.Fatalf("sent %q, echo %q %v, want %q", send, b, err, want)
				}
			}
			// Before any actor: as is.
			roundTrip(`42["chat","before"]`, `42["chat","before"]`)
			un, err := e.Register(rewriter{})
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(`42["chat","hello"]`, `42["CHAT","HELLO"]`)
			c.WriteMessage(websocket.TextMessage, []byte(`42["secret","x"]`))
			roundTrip(`42["other",1]`, `42["other",1]`)
			big := `42["other","` + noisyText(5000) + `"]`
			roundTrip(big, big)

			// Injected as the server, with an ack the client answers: the
			// ACK is consumed and reported, never echoed back to the client.
			ch, conn, err := e.Inject("abc", active.Injection{As: decode.S2C, Event: "srv", Args: []json.RawMessage{[]byte(`{"n":1}`)}, Ack: true})
			if err != nil {
				t.Fatal(err)
			}
			if conn.Sid() != "abc" {
				t.Fatalf("sid %q", conn.Sid())
			}
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			p, err := sio.Parse(b[1:], 5)
			if err != nil || p.EventName() != "srv" || !p.HasID || p.ID < active.FirstInjectedAckID {
				t.Fatalf("injected %q: %+v %v", b, p, err)
			}
			ack, _ := sio.EncodeAck("/", p.ID, "ok")
			c.WriteMessage(websocket.TextMessage, append([]byte("4"), ack...))
			res := <-ch
			if string(res.Args) != `["ok"]` || res.ID != p.ID {
				t.Fatalf("ack %+v", res)
			}
			// The echo server never saw the ACK: the next echo is ours.
			un()
			roundTrip(`42["chat","after"]`, `42["chat","after"]`)
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
			c.ReadMessage()
			c.Close()

			_, msgs, _ := collectWS(t, h)
			var dropped, consumed, rewritten int
			for _, m := range msgs[decode.C2S] {
				if m.Active == nil {
					continue
				}
				switch {
				case m.Active.Dropped:
					dropped++
					if string(m.Data) != `42["secret","x"]` {
						t.Errorf("dropped %q", m.Data)
					}
				case m.Active.Consumed:
					consumed++
				case len(m.Active.Rules) > 0:
					rewritten++
					if string(m.Active.Original) != `42["chat","hello"]` || string(m.Data) != `42["CHAT","HELLO"]` {
						t.Errorf("rewritten: original %q sent %q", m.Active.Original, m.Data)
					}
				}
			}
			if dropped != 1 || consumed != 1 || rewritten != 1 {
				t.Fatalf("dropped %d consumed %d rewritten %d", dropped, consumed, rewritten)
			}
			var injected int
			for _, m := range msgs[decode.S2C] {
				if m.Active != nil && m.Active.Injected {
					injected++
				}
			}
			if injected != 1 {
				t.Fatalf("%d injected s2c observations", injected)
			}
		})
	}
}

type refuser struct{}

func (refuser) Name() string { return "refuse-upgrade" }
func (refuser) OnUpgrade(u *active.Upgrade) {
	if u.Sid == "abc" {
		u.Refuse(400, `{"code":3,"message":"Bad request"}`, "refuse-upgrade")
	}
}

func TestActiveUpgradeRefused(t *testing.T) {
	rl := &recordingListener{}
	up := echoServer(t, websocket.Upgrader{}, rl)
	e := active.New(active.Options{})
	if _, err := e.Register(refuser{}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Active: e}, up.URL)
	_, resp, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=abc"), nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("dial: %v %v", resp, err)
	}
	o := h.next(t, obs.KindHTTP)
	if o.HTTP.Status != 400 || o.HTTP.Active == nil || o.HTTP.Active.Rules[0] != "refuse-upgrade" {
		t.Fatalf("observed %+v", o.HTTP)
	}
	// Another sid goes through.
	c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=other"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if n := len(rl.all()); n != 1 {
		t.Fatalf("upstream saw %d connections, want 1 (the refused one never reached it)", n)
	}
}

type eventNameIs string

func (e eventNameIs) Match(ev *event.Event) bool { return ev.Event == string(e) && ev.Dir == "c2s" }

// A breakpoint holds a matching message and everything behind it in its
// direction; heartbeats pass; the edit reaches the server.
func TestActiveBreakpoint(t *testing.T) {
	up := echoServer(t, websocket.Upgrader{}, nil)
	e := active.New(active.Options{})
	bp := active.NewBreakpoints(e, func(s string) (active.Matcher, error) { return eventNameIs(strings.TrimPrefix(s, "event:")), nil })
	h := newHarness(t, Options{Active: e}, up.URL)
	c, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket&sid=s1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := bp.Add("event:chat"); err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`3`)) // a pong: never held
	if _, b, err := c.ReadMessage(); err != nil || string(b) != "3" {
		t.Fatalf("heartbeat echo %q %v", b, err)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`42["chat","orig"]`))
	c.WriteMessage(websocket.TextMessage, []byte(`42["after",1]`))
	var held []active.Held
	deadline := time.Now().Add(waitLimit)
	for len(held) == 0 && time.Now().Before(deadline) {
		held = bp.Held()
		time.Sleep(time.Millisecond)
	}
	if len(held) != 1 || held[0].Event != "chat" || string(held[0].Args) != `["chat","orig"]` || held[0].Dir != "c2s" {
		t.Fatalf("held %+v", held)
	}
	if err := bp.Resolve(held[0].ID, active.Forward, json.RawMessage(`["chat","edited"]`)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`42["chat","edited"]`, `42["after",1]`} {
		if _, b, err := c.ReadMessage(); err != nil || string(b) != want {
			t.Fatalf("echo %q %v, want %q", b, err, want)
		}
	}
	bp.Clear()
	if e.WantsMessages() {
		t.Fatal("cleared breakpoints left the hook registered")
	}
	// A connection that ends while a message is held releases it: the
	// harness's Proxy.Close at cleanup would hang otherwise.
	bp.Add("event:chat")
	c.WriteMessage(websocket.TextMessage, []byte(`42["chat","again"]`))
	for len(bp.Held()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.Close()
}
