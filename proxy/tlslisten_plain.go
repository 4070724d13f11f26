package proxy

import (
	"net"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// SniffPlain wraps a plaintext listener and reports clients that start a
// TLS handshake on it (FAULTS.md I2: an https:// or wss:// URL pointed at
// an http:// port) as obs.TLSEvent{Kind: "tls_on_plain"}. It looks at the
// first bytes each connection delivers, as they are read, so it adds no
// goroutine and no delay. The connection is left to the server, which
// answers 400 to the bytes it cannot parse. Close stops the pushes.
func SniffPlain(ln net.Listener, sinks []*bus.Queue[obs.Obs]) net.Listener {
	return &plainListener{Listener: ln, sinks: sinks}
}

type plainListener struct {
	net.Listener
	sinks []*bus.Queue[obs.Obs]

	mu     sync.RWMutex
	closed bool
}

func (l *plainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, l: l}, nil
}

func (l *plainListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return err
}

func (l *plainListener) push(e obs.TLSEvent) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return
	}
	bus.PushAll(l.sinks, obs.Obs{Kind: obs.KindTLS, Time: time.Now(), TLS: &e})
}

// sniffConn checks the first three bytes read from the client. Only the
// server's reading goroutine calls Read, so the fields need no lock.
type sniffConn struct {
	net.Conn
	l    *plainListener
	head [3]byte
	n    int
	done bool
}

func (c *sniffConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.done && n > 0 {
		c.n += copy(c.head[c.n:], b[:n])
		if c.n == len(c.head) || err != nil {
			c.done = true
			if looksLikeTLS(c.head[:c.n]) {
				c.l.push(obs.TLSEvent{Leg: "client", Client: c.RemoteAddr().String(), Kind: "tls_on_plain",
					Detail: "the client started a TLS handshake on a plain HTTP port: use an http:// (ws://) URL, or run sioproxy with --tls"})
			}
		}
	}
	return n, err
}

// CloseWrite and CloseRead keep the half-close the WebSocket relay and
// goproxy's tunnels use on TCP connections.
func (c *sniffConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errNoHalfClose
}

func (c *sniffConn) CloseRead() error {
	if cr, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return errNoHalfClose
}
