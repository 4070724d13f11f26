// Package sioclient is a small Engine.IO v4 / Socket.IO protocol 5 client
// built on the project's own encoder and gorilla/websocket. It drives the
// demo's simulated clients, `replay --to` and the load generator of the
// proxy benchmark. It speaks the protocol the way socket.io-client 4.x does
// (polling handshake, probe, upgrade) so the traffic it makes is realistic.
package sioclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
)

// Transport choices for Options.Transport.
const (
	PollingThenUpgrade = "polling"      // socket.io-client's default
	PollingOnly        = "polling-only" // transports: ["polling"]
	WebSocketOnly      = "websocket"    // transports: ["websocket"]
)

// Options configure a Client. The zero value behaves like socket.io-client's
// defaults.
type Options struct {
	Transport string      // PollingThenUpgrade (default), PollingOnly or WebSocketOnly
	Path      string      // Engine.IO path, default "/socket.io/"
	Header    http.Header // extra request headers (Origin, Cookie, Authorization…)
	Query     url.Values  // extra query parameters
	HTTP      *http.Client
	Dialer    *websocket.Dialer
	// OnEvent answers server-to-client events. Its return value is sent as
	// the ack when the server asked for one. It runs on the reader
	// goroutine: keep it short.
	OnEvent func(p *sio.Packet) []any
}

// ErrClosed is returned by operations on a closed client.
var ErrClosed = errors.New("sioclient: closed")

// Client is one Engine.IO session. It is safe for concurrent use.
type Client struct {
	opts      Options
	base      url.URL
	Handshake eio.Handshake

	dec *sio.Decoder // touched only by the active reader goroutine

	outbox    chan []eio.Packet // packets to send, in order; a slice is one unit
	wsHandoff chan *websocket.Conn
	pollStop  atomic.Bool
	pollDone  chan struct{}

	mu       sync.Mutex
	acks     map[string]chan *sio.Packet
	connects map[string]chan *sio.Packet
	nextID   int64
	ws       *websocket.Conn
	upgraded bool

	in        chan *sio.Packet
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error
}

// Dial performs the Engine.IO handshake with the server at rawURL (http or
// https; the path comes from Options.Path) and starts the transport.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sioclient: bad URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("sioclient: URL %q: scheme must be http or https", rawURL)
	}
	if opts.Path == "" {
		opts.Path = "/socket.io/"
	}
	if opts.Transport == "" {
		opts.Transport = PollingThenUpgrade
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	if opts.Dialer == nil {
		opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	}
	u.Path = opts.Path
	u.RawQuery = ""
	c := &Client{
		opts:      opts,
		base:      *u,
		dec:       sio.NewDecoder(5),
		outbox:    make(chan []eio.Packet, 256),
		wsHandoff: make(chan *websocket.Conn, 1),
		pollDone:  make(chan struct{}),
		acks:      map[string]chan *sio.Packet{},
		connects:  map[string]chan *sio.Packet{},
		in:        make(chan *sio.Packet, 1024),
		done:      make(chan struct{}),
	}
	switch opts.Transport {
	case WebSocketOnly:
		err = c.dialWebSocketOnly(ctx)
	case PollingOnly, PollingThenUpgrade:
		err = c.dialPolling(ctx)
	default:
		return nil, fmt.Errorf("sioclient: unknown transport %q (want polling, polling-only or websocket)", opts.Transport)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Sid is the Engine.IO session id.
func (c *Client) Sid() string { return c.Handshake.Sid }

// Upgraded reports whether the session now runs over WebSocket.
func (c *Client) Upgraded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upgraded || c.opts.Transport == WebSocketOnly
}

// Incoming delivers server packets that are neither acks nor CONNECT
// replies: events, disconnects. Packets are dropped if nobody reads.
func (c *Client) Incoming() <-chan *sio.Packet { return c.in }

// Done is closed when the session ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the session ended, nil while it runs or after Close.
func (c *Client) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// Connect joins a namespace (CONNECT) and waits for the reply. A
// CONNECT_ERROR comes back as an error carrying the server's message.
func (c *Client) Connect(ctx context.Context, nsp string, auth any) (sio.ConnectInfo, error) {
	if nsp == "" {
		nsp = "/"
	}
	p := sio.Packet{Type: sio.Connect, Nsp: nsp}
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			return sio.ConnectInfo{}, fmt.Errorf("sioclient: auth: %w", err)
		}
		p.Data = b
	}
	ch := make(chan *sio.Packet, 1)
	c.mu.Lock()
	c.connects[nsp] = ch
	c.mu.Unlock()
	text, _ := sio.Encode(p)
	if err := c.send(eio.Packet{Type: eio.Message, Data: text}); err != nil {
		return sio.ConnectInfo{}, err
	}
	select {
	case r := <-ch:
		if r.Type == sio.ConnectError {
			ce, _ := sio.ParseConnectError(r)
			return sio.ConnectInfo{}, fmt.Errorf("sioclient: connect %s refused: %s", nsp, ce.Message)
		}
		return sio.ParseConnect(r)
	case <-ctx.Done():
		return sio.ConnectInfo{}, ctx.Err()
	case <-c.done:
		return sio.ConnectInfo{}, c.closedErr()
	}
}

// Emit sends an event without an ack. []byte arguments become binary
// attachments.
func (c *Client) Emit(nsp, event string, args ...any) error {
	text, atts := sio.EncodeEvent(nsp, nil, append([]any{event}, args...)...)
	return c.SendRaw(text, atts)
}

// EmitWithAck sends an event and waits for its ack.
func (c *Client) EmitWithAck(ctx context.Context, nsp, event string, args ...any) (*sio.Packet, error) {
	if nsp == "" {
		nsp = "/"
	}
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan *sio.Packet, 1)
	c.acks[ackKey(nsp, id)] = ch
	c.mu.Unlock()
	text, atts := sio.EncodeEvent(nsp, &id, append([]any{event}, args...)...)
	if err := c.SendRaw(text, atts); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.acks, ackKey(nsp, id))
		c.mu.Unlock()
		return nil, fmt.Errorf("sioclient: no ack for %q id %d: %w", event, id, ctx.Err())
	case <-c.done:
		return nil, c.closedErr()
	}
}

// NextAckID reserves an ack id, for callers that encode packets themselves
// (replay) and then wait with AwaitAck.
func (c *Client) NextAckID(nsp string) (int64, <-chan *sio.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	ch := make(chan *sio.Packet, 1)
	c.acks[ackKey(nsp, id)] = ch
	return id, ch
}

// SendRaw sends one encoded Socket.IO packet and its attachments as
// consecutive Engine.IO messages.
func (c *Client) SendRaw(text []byte, attachments [][]byte) error {
	ps := make([]eio.Packet, 0, 1+len(attachments))
	ps = append(ps, eio.Packet{Type: eio.Message, Data: text})
	for _, a := range attachments {
		ps = append(ps, eio.Packet{Type: eio.Message, Data: a, Binary: true})
	}
	return c.sendBatch(ps)
}

// Close ends the session the way socket.io-client does: a close packet over
// polling, a close frame over WebSocket.
func (c *Client) Close() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	// No new poll may start once the close is on its way: the server
	// forgets the sid and would answer it "Session ID unknown".
	c.pollStop.Store(true)
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	} else {
		_ = c.post(context.Background(), []eio.Packet{{Type: eio.Close}})
	}
	c.shutdown(nil)
	return nil
}

func (c *Client) send(p eio.Packet) error { return c.sendBatch([]eio.Packet{p}) }

func (c *Client) sendBatch(ps []eio.Packet) error {
	select {
	case c.outbox <- ps:
		return nil
	case <-c.done:
		return c.closedErr()
	}
}

func (c *Client) closedErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	return ErrClosed
}

func (c *Client) shutdown(err error) {
	c.closeOnce.Do(func() {
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
		close(c.done)
		c.mu.Lock()
		if c.ws != nil {
			c.ws.Close()
		}
		c.mu.Unlock()
	})
}

func ackKey(nsp string, id int64) string { return nsp + "#" + strconv.FormatInt(id, 10) }

// dispatch routes one complete Socket.IO packet from the server.
func (c *Client) dispatch(p *sio.Packet) {
	switch p.Type {
	case sio.Ack, sio.BinaryAck:
		c.mu.Lock()
		ch := c.acks[ackKey(p.Nsp, p.ID)]
		delete(c.acks, ackKey(p.Nsp, p.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- p
		}
		return
	case sio.Connect, sio.ConnectError:
		c.mu.Lock()
		ch := c.connects[p.Nsp]
		delete(c.connects, p.Nsp)
		c.mu.Unlock()
		if ch != nil {
			ch <- p
			return
		}
	case sio.Event, sio.BinaryEvent:
		if c.opts.OnEvent != nil {
			ack := c.opts.OnEvent(p)
			if p.HasID {
				text, atts := sio.EncodeAck(p.Nsp, p.ID, ack...)
				_ = c.SendRaw(text, atts)
			}
		}
	}
	select {
	case c.in <- p:
	default:
	}
}

// handle processes one Engine.IO packet from the server.
func (c *Client) handle(p eio.Packet) error {
	switch p.Type {
	case eio.Ping:
		return c.send(eio.Packet{Type: eio.Pong, Data: p.Data})
	case eio.Close:
		c.shutdown(errors.New("sioclient: server closed the session"))
		return nil
	case eio.Message:
		var sp *sio.Packet
		var err error
		if p.Binary {
			sp, err = c.dec.Binary(p.Data)
		} else {
			sp, err = c.dec.Text(p.Data)
		}
		if err != nil {
			return err
		}
		if sp != nil {
			c.dispatch(sp)
		}
	}
	return nil
}
