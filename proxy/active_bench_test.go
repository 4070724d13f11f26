package proxy

import (
	"encoding/json"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// matchNothing is a MessageHook that never acts: the cost of message mode.
type matchNothing struct{}

func (matchNothing) Name() string                                { return "nothing" }
func (matchNothing) OnMessage(c *active.Conn, m *active.Message) {}

// rewriteAll replaces the args of every EVENT: re-framing every message.
type rewriteAll struct{}

func (rewriteAll) Name() string { return "rewrite" }
func (rewriteAll) OnMessage(c *active.Conn, m *active.Message) {
	if m.SIO != nil && m.SIO.EventName() == "echo" {
		m.SetArgs(json.RawMessage(`["echo",{"n":2,"text":"HELLO"}]`), "rewrite")
	}
}

// BenchmarkRelayWebSocketActive is BenchmarkRelayWebSocketSmall through the
// active layer: an idle Engine (the default with the control socket), a
// rule that matches nothing, and one that rewrites every message. Compare
// ns/op with BenchmarkRelayWebSocketSmall (transparent, no Engine).
func BenchmarkRelayWebSocketActive(b *testing.B) {
	for _, bc := range []struct {
		name  string
		actor active.Actor
	}{{"idle engine", nil}, {"rule matching nothing", matchNothing{}}, {"rule rewriting every message", rewriteAll{}}} {
		b.Run(bc.name, func(b *testing.B) {
			sink := drainedSink(b)
			e := active.New(active.Options{})
			if bc.actor != nil {
				if _, err := e.Register(bc.actor); err != nil {
					b.Fatal(err)
				}
			}
			up := echoServer(b, websocket.Upgrader{}, nil)
			h := newHarness(b, Options{Sinks: []*bus.Queue[obs.Obs]{sink}, Active: e}, up.URL)
			c, _, err := websocket.DefaultDialer.Dial(wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			msg := []byte(`42["echo",{"n":1,"text":"hello"}]`)
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.ReadMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
