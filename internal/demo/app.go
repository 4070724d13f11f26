package demo

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/sioserver"
)

// appOrigin is the only origin the demo app allows, so a client from any
// other origin trips a genuine CORS fault.
const appOrigin = "http://app.example"

// newApp is the demo's chat app: "/" for presence, "/chat" with acks and
// binary avatars, and "/admin" behind a token checked by middleware.
func newApp(name string) *sioserver.Server {
	s := sioserver.New(sioserver.Options{
		PingInterval: 5 * time.Second,
		PingTimeout:  5 * time.Second,
		AllowOrigins: []string{appOrigin},
		Name:         name,
	})
	var seq atomic.Int64
	s.Handle("/", &sioserver.Namespace{
		OnConnect: func(sock *sioserver.Socket) { sock.Emit("hello", map[string]any{"node": name, "socket": sock.ID}) },
		OnEvent: func(sock *sioserver.Socket, p *sio.Packet) []any {
			return []any{map[string]any{"ok": true, "at": seq.Add(1)}}
		},
	})
	s.Handle("/chat", &sioserver.Namespace{
		OnConnect: func(sock *sioserver.Socket) { go news(sock) },
		OnEvent: func(sock *sioserver.Socket, p *sio.Packet) []any {
			n := seq.Add(1)
			switch p.EventName() {
			case "message":
				var args []json.RawMessage
				json.Unmarshal(p.Data, &args)
				if len(args) > 1 {
					sock.Emit("message", json.RawMessage(args[1]))
				}
				return []any{map[string]any{"ok": true, "id": n}}
			case "avatar":
				if len(p.Buffers) > 0 {
					return []any{map[string]any{"stored": len(p.Buffers[0])}, thumbnail(p.Buffers[0])}
				}
			}
			return []any{map[string]any{"ok": true}}
		},
	})
	s.Handle("/admin", &sioserver.Namespace{
		Auth: func(auth json.RawMessage) (any, error) {
			var a struct{ Token string }
			json.Unmarshal(auth, &a)
			if a.Token != "letmein" {
				return map[string]string{"reason": "bad token", "retry": "ask an admin"}, errors.New("not authorized")
			}
			return nil, nil
		},
		OnEvent: func(sock *sioserver.Socket, p *sio.Packet) []any {
			return []any{map[string]any{"sessions": seq.Load() % 17, "uptime_s": seq.Load()}}
		},
	})
	return s
}

// news pushes server-initiated events, some asking the client for an ack.
func news(sock *sioserver.Socket) {
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-sock.Done():
			return
		case <-t.C:
		}
		if i%2 == 0 {
			sock.Emit("news", map[string]any{"headline": "Release 1.2 is out 🚀", "n": i})
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sock.EmitWithAck(ctx, "poll", "Lunch at noon?", []string{"yes", "no"})
		cancel()
	}
}

func thumbnail(b []byte) []byte {
	if len(b) > 16 {
		b = b[:16]
	}
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ 0xff
	}
	return out
}
