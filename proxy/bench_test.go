package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// drainedSink is a sink consumed by a goroutine, as the analyzer would.
// Its cleanup must run after the proxy's Close, so register it first.
func drainedSink(b testing.TB) *bus.Queue[obs.Obs] {
	q := bus.NewQueue[obs.Obs](1 << 14)
	done := make(chan struct{})
	go func() {
		for range q.C() {
		}
		close(done)
	}()
	b.Cleanup(func() {
		q.Close()
		<-done
	})
	return q
}

// A small Socket.IO-sized message echoed over loopback through the relay,
// with the tap decoding both directions.
func BenchmarkRelayWebSocketSmall(b *testing.B) {
	sink := drainedSink(b)
	up := echoServer(b, websocket.Upgrader{}, nil)
	h := newHarness(b, Options{Sinks: []*bus.Queue[obs.Obs]{sink}}, up.URL)
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
}

// fixedTransport answers every request with the same body, in memory.
type fixedTransport struct {
	body []byte
	hdr  http.Header
}

func (f *fixedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Header:        f.hdr,
		Body:          io.NopCloser(bytes.NewReader(f.body)),
		ContentLength: int64(len(f.body)),
		Request:       req,
	}, nil
}

// The observing transport's own cost: teeing both bodies into capped
// buffers and pushing the exchange.
func BenchmarkObservingTransport(b *testing.B) {
	for _, size := range []int{64, 64 << 10} {
		b.Run(byteSize(size), func(b *testing.B) {
			sink := drainedSink(b)
			body := []byte(strings.Repeat("x", size))
			u, _ := url.Parse("http://upstream.invalid")
			p, err := New(Options{
				Targets:   []*url.URL{u},
				Sinks:     []*bus.Queue[obs.Obs]{sink},
				Transport: &fixedTransport{body: body, hdr: http.Header{"Content-Type": {"text/plain"}}},
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			rd := bytes.NewReader(body)
			req, _ := http.NewRequest("POST", "http://upstream.invalid/socket.io/?EIO=4&transport=polling&sid=x", nil)
			req.ContentLength = int64(size)
			buf := make([]byte, 32<<10)
			b.ReportAllocs()
			b.SetBytes(int64(2 * size))
			for b.Loop() {
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				resp, err := p.transport.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, buf)
				resp.Body.Close()
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
