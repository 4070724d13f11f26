package proxy

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// An idle direction holds only its small buffer: it borrows a full-size
// one after a read that filled the small one, and gives it back after a
// read that the small one would have held.
func TestRelayBufsBorrowOnlyForBursts(t *testing.T) {
	var b relayBufs
	steps := []struct {
		read    int // bytes the read returns, as a share of the buffer it got
		wantBig bool
	}{
		{100, false},          // a small message
		{smallReadSize, true}, // filled: a burst begins
		{copyBufSize, true},   // the burst goes on
		{smallReadSize, true}, // still more than the small buffer would take
		{10, false},           // the burst is over
		{smallReadSize - 1, false},
	}
	for i, s := range steps {
		buf := b.next()
		if i == 0 && len(buf) != smallReadSize {
			t.Fatalf("first buffer is %d bytes, want %d", len(buf), smallReadSize)
		}
		if s.read > len(buf) {
			t.Fatalf("step %d: read %d into a %d-byte buffer", i, s.read, len(buf))
		}
		b.used(s.read)
		if got := b.big != nil; got != s.wantBig {
			t.Fatalf("step %d (read %d): borrowed = %v, want %v", i, s.read, got, s.wantBig)
		}
		if s.wantBig && len(b.next()) != copyBufSize {
			t.Fatalf("step %d: borrowed buffer is %d bytes", i, len(b.next()))
		}
	}
	b.used(smallReadSize)
	b.release()
	if b.big != nil || len(b.next()) != smallReadSize {
		t.Fatal("release kept the borrowed buffer")
	}
}

// Connections that alternate large and small messages at the same time
// pass borrowed buffers between them through the pool; every echo must
// still come back byte for byte (run with -race).
func TestRelayBufsConcurrentConnections(t *testing.T) {
	up := echoServer(t, websocket.Upgrader{}, nil)
	h := newHarness(t, Options{}, up.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _, err := websocket.DefaultDialer.DialContext(withTimeout(t), wsURL(h.url, "/socket.io/?EIO=4&transport=websocket"), nil)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for i := 0; i < 20; i++ {
				size := 10
				if i%2 == 0 {
					size = 40<<10 + i
				}
				msg := bytes.Repeat([]byte{byte('a' + c), byte(i)}, size/2)
				if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					errs <- err
					return
				}
				_, got, err := conn.ReadMessage()
				if err != nil || !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("connection %d message %d: %d bytes back, want %d unchanged (%v)", c, i, len(got), len(msg), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
