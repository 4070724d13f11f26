package sioclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/sioclient"
	"github.com/sioproxy/sioproxy/internal/sioserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := sioserver.New(sioserver.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 2 * time.Second})
	s.Handle("/", &sioserver.Namespace{
		OnEvent: func(sock *sioserver.Socket, p *sio.Packet) []any {
			if p.EventName() == "bin" {
				return []any{"got", []byte{9, 8, 7}}
			}
			var args []json.RawMessage
			json.Unmarshal(p.Data, &args)
			return []any{"echo", args[1:]}
		},
		OnConnect: func(sock *sioserver.Socket) { sock.Emit("welcome", "hi") },
	})
	s.Handle("/admin", &sioserver.Namespace{
		Auth: func(auth json.RawMessage) (any, error) {
			if !strings.Contains(string(auth), "secret") {
				return map[string]string{"hint": "send a token"}, errors.New("not authorized")
			}
			return nil, nil
		},
	})
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return hs
}

func TestClientServer(t *testing.T) {
	for _, tr := range []string{sioclient.PollingThenUpgrade, sioclient.PollingOnly, sioclient.WebSocketOnly} {
		t.Run(tr, func(t *testing.T) {
			hs := newServer(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := sioclient.Dial(ctx, hs.URL, sioclient.Options{Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Connect(ctx, "/", nil); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-c.Incoming():
				if p.EventName() != "welcome" {
					t.Fatalf("first event %q, want welcome", p.EventName())
				}
			case <-ctx.Done():
				t.Fatal("no welcome event")
			}
			for i := 0; i < 3; i++ {
				ack, err := c.EmitWithAck(ctx, "/", "ping", i, "é😀")
				if err != nil {
					t.Fatal(err)
				}
				want := `["echo",[` + string(rune('0'+i)) + `,"é😀"]]`
				if string(ack.Data) != want {
					t.Fatalf("ack %s, want %s", ack.Data, want)
				}
				time.Sleep(150 * time.Millisecond) // let pings and the upgrade happen in between
			}
			ack, err := c.EmitWithAck(ctx, "/", "bin", []byte{1, 2, 3})
			if err != nil {
				t.Fatal(err)
			}
			if ack.Type != sio.BinaryAck || len(ack.Buffers) != 1 || string(ack.Buffers[0]) != "\x09\x08\x07" {
				t.Fatalf("binary ack = %+v", ack)
			}
			if _, err := c.Connect(ctx, "/admin", map[string]string{"token": "nope"}); err == nil || !strings.Contains(err.Error(), "not authorized") {
				t.Fatalf("admin connect err = %v, want not authorized", err)
			}
			if _, err := c.Connect(ctx, "/admin", map[string]string{"token": "secret"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Connect(ctx, "/nope", nil); err == nil || !strings.Contains(err.Error(), "Invalid namespace") {
				t.Fatalf("unknown namespace err = %v", err)
			}
			if tr == sioclient.PollingThenUpgrade && !c.Upgraded() {
				t.Fatal("session did not upgrade to websocket")
			}
			if tr == sioclient.PollingOnly && c.Upgraded() {
				t.Fatal("polling-only session upgraded")
			}
		})
	}
}
