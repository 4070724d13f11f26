package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// tlsHandshakeTimeout bounds a client's TLS handshake on ListenTLS.
const tlsHandshakeTimeout = 10 * time.Second

// trustAdvice ends the detail of a client-side certificate rejection.
const trustAdvice = "; give the client the certificate sioproxy serves (--tls-cert) or " +
	"its CA (Node: NODE_EXTRA_CA_CERTS=FILE; browsers: import it; see `sioproxy ca`)"

// ListenTLS serves TLS on ln with cert and reports the clients that fail
// on the TLS port (FAULTS.md I1, I2) to sinks as obs.TLSEvent:
//
//   - a plain HTTP request (Kind "plain_http"); the connection is still
//     handed to the caller un-handshaken, so http.Server answers its
//     "400 Client sent an HTTP request to an HTTPS server";
//   - a handshake the client aborted (Kind "alert", Alert the alert it
//     sent, e.g. "unknown_ca", or "" when it just closed).
//
// Handshakes run before Accept returns, in one goroutine per connection,
// because http.Server keeps the handshake error to itself; Accept returns
// *tls.Conn values whose handshake is done, so http.Server sets
// Request.TLS as usual. Only HTTP/1.1 is offered (WebSocket upgrades need
// it). Close closes ln, aborts pending handshakes and waits for them;
// nothing is pushed after it returns.
func ListenTLS(ln net.Listener, cert tls.Certificate, sinks []*bus.Queue[obs.Obs]) net.Listener {
	l := &tlsListener{
		ln:      ln,
		cfg:     &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		sinks:   sinks,
		ready:   make(chan net.Conn),
		done:    make(chan struct{}),
		pending: make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

type tlsListener struct {
	ln    net.Listener
	cfg   *tls.Config
	sinks []*bus.Queue[obs.Obs]
	ready chan net.Conn
	done  chan struct{}

	mu       sync.Mutex
	closed   bool
	pending  map[net.Conn]struct{} // raw conns still in their handshake
	acceptEr error                 // why acceptLoop stopped
	wg       sync.WaitGroup
	once     sync.Once
}

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		err := l.acceptEr
		l.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return nil, err
	}
}

func (l *tlsListener) Addr() net.Addr { return l.ln.Addr() }

func (l *tlsListener) Close() error {
	err := l.ln.Close()
	l.stop(nil)
	l.wg.Wait()
	return err
}

// stop ends the listener once: no more conns are handed out, pending
// handshakes are aborted, pushes stop.
func (l *tlsListener) stop(cause error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.acceptEr = cause
		for c := range l.pending {
			c.Close()
		}
		l.mu.Unlock()
		close(l.done)
	})
}

// acceptLoop accepts raw connections and starts their handshakes. A
// failing Accept that is not the listener closing (EMFILE…) is retried
// with a backoff, as http.Server does.
func (l *tlsListener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				l.stop(nil)
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
				continue
			case <-l.done:
				return
			}
		}
		backoff = 0
		if !l.track(c) {
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.handshake(c)
	}
}

func (l *tlsListener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.pending[c] = struct{}{}
	return true
}

func (l *tlsListener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
}

// handshake sniffs the first bytes of c, then either hands it over for
// http.Server's plain-HTTP answer or completes the TLS handshake.
func (l *tlsListener) handshake(raw net.Conn) {
	defer l.wg.Done()
	client := raw.RemoteAddr().String()
	raw.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	pc := &peekedConn{Conn: raw, r: bufio.NewReaderSize(raw, 512)}
	hdr, err := pc.r.Peek(5)
	if err != nil {
		l.untrack(raw)
		raw.Close() // a port scan or a client that gave up: nothing to say
		return
	}
	tc := tls.Server(pc, l.cfg)
	if looksLikeHTTP(hdr) {
		l.push(obs.TLSEvent{Leg: "client", Client: client, Kind: "plain_http",
			Detail: "the client sent plain HTTP (" + printable(hdr) + "…) to the TLS port: use an https:// (wss://) URL, or run sioproxy without --tls"})
		raw.SetDeadline(time.Time{})
		l.untrack(raw)
		l.deliver(tc)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
	err = tc.HandshakeContext(ctx)
	cancel()
	l.untrack(raw)
	if err != nil {
		if v := clientHandshakeEvent(err, client, "", trustAdvice); v != nil && !l.isClosed() {
			l.push(obs.TLSEvent{Leg: "client", Client: client, Host: tc.ConnectionState().ServerName,
				Kind: v.Kind, Alert: v.Alert, Detail: v.Detail})
		}
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	l.deliver(tc)
}

func (l *tlsListener) deliver(c net.Conn) {
	select {
	case l.ready <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *tlsListener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// push sends e to the sinks unless the listener is closed; the lock makes
// Close wait for a push in progress.
func (l *tlsListener) push(e obs.TLSEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	bus.PushAll(l.sinks, obs.Obs{Kind: obs.KindTLS, Time: time.Now(), TLS: &e})
}

// peekedConn reads through the bufio.Reader that sniffed the first bytes.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// looksLikeHTTP reports an HTTP/1 request line start: an upper-case method
// (GET, POST, OPTIONS, PATCH, DELETE…) where a TLS record header belongs.
// It is wider than net/http's check, which only answers 400 to five of
// them.
func looksLikeHTTP(hdr []byte) bool {
	if len(hdr) < 5 {
		return false
	}
	for i, b := range hdr[:5] {
		switch {
		case b >= 'A' && b <= 'Z':
		case i >= 3 && (b == ' ' || b == '/'):
		default:
			return false
		}
	}
	return true
}

// looksLikeTLS reports a TLS handshake record header: content type 22 and
// major version 3 (SSL 3.0 to TLS 1.3 all say 3).
func looksLikeTLS(hdr []byte) bool {
	return len(hdr) >= 2 && hdr[0] == 0x16 && hdr[1] == 0x03
}

func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out = append(out, c)
	}
	return string(out)
}
