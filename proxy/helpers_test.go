package proxy

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/testnet"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitLimit guards against hangs only; no test asserts how long anything
// took.
const waitLimit = 10 * time.Second

// harness is a proxy under test, served by httptest, with one sink.
type harness struct {
	p    *Proxy
	srv  *httptest.Server
	sink *bus.Queue[obs.Obs]
	url  string
	log  *bytes.Buffer
}

func newHarness(t testing.TB, opts Options, targets ...string) *harness {
	t.Helper()
	for _, s := range targets {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		opts.Targets = append(opts.Targets, u)
	}
	h := &harness{sink: bus.NewQueue[obs.Obs](4096), log: new(bytes.Buffer)}
	if opts.Sinks == nil {
		opts.Sinks = []*bus.Queue[obs.Obs]{h.sink}
	}
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(&lockedWriter{w: h.log}, "", 0)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	h.srv = httptest.NewServer(p)
	h.url = h.srv.URL
	t.Cleanup(func() {
		p.Close()
		h.srv.Close()
	})
	return h
}

// next returns the next observation of kind k, skipping others.
func (h *harness) next(t testing.TB, k obs.Kind) obs.Obs {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case o := <-h.sink.C():
			if o.Kind == k {
				return o
			}
		case <-timer.C:
			t.Fatalf("no %s observation", k)
		}
	}
}

// client returns an HTTP client that changes nothing (no gzip) and whose
// idle connections are closed at cleanup.
func testClient(t testing.TB) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func backend(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// recordingListener keeps every byte its connections read and wrote.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*recordingConn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

func (l *recordingListener) all() []*recordingConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*recordingConn(nil), l.conns...)
}

type recordingConn struct {
	net.Conn
	mu       sync.Mutex
	in, out  bytes.Buffer
	closeErr error
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.in.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.out.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

// afterHead returns what follows the first blank line (the HTTP head).
func (c *recordingConn) afterHead(read bool) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.out.Bytes()
	if read {
		b = c.in.Bytes()
	}
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return nil
	}
	return bytes.Clone(b[i+4:])
}

// refusedAddr returns a loopback address nobody listens on.
func refusedAddr(t testing.TB) string { return testnet.RefusedAddr(t) }

func withTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// discardLog silences servers whose handshake failures are the point of a
// test.
var discardLog = log.New(io.Discard, "", 0)
