package sioclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// maxBody caps a polling response the client will read.
const maxBody = 64 << 20

var cacheBuster atomic.Uint64

func (c *Client) pollURL(sid string) string {
	u := c.base
	q := url.Values{}
	for k, v := range c.opts.Query {
		q[k] = v
	}
	q.Set("EIO", "4")
	q.Set("transport", "polling")
	q.Set("t", strconv.FormatUint(cacheBuster.Add(1), 36))
	if sid != "" {
		q.Set("sid", sid)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) wsURL(sid string) string {
	u := c.base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	q := url.Values{}
	for k, v := range c.opts.Query {
		q[k] = v
	}
	q.Set("EIO", "4")
	q.Set("transport", "websocket")
	if sid != "" {
		q.Set("sid", sid)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) do(ctx context.Context, method, u string, body []byte) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := c.opts.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("sioclient: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("sioclient: %s %s: reading body: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("sioclient: %s %s: HTTP %d: %s", method, u, resp.StatusCode, bytes.TrimSpace(b))
	}
	return b, resp.Header, nil
}

func (c *Client) dialPolling(ctx context.Context) error {
	body, hdr, err := c.do(ctx, http.MethodGet, c.pollURL(""), nil)
	if err != nil {
		return err
	}
	ps, err := eio.DecodePayload(eio.V4, body, hdr.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("sioclient: handshake body %q: %w", body, err)
	}
	if len(ps) == 0 || ps[0].Type != eio.Open {
		return fmt.Errorf("sioclient: handshake body %q is not an open packet", body)
	}
	if c.Handshake, err = eio.ParseOpen(ps[0].Data); err != nil {
		return fmt.Errorf("sioclient: handshake: %w", err)
	}
	go c.writeLoop(nil)
	go c.pollLoop(ps[1:])
	if c.opts.Transport == PollingThenUpgrade {
		for _, up := range c.Handshake.Upgrades {
			if up == "websocket" {
				go c.upgrade()
				break
			}
		}
	}
	return nil
}

func (c *Client) dialWebSocketOnly(ctx context.Context) error {
	ws, _, err := c.opts.Dialer.DialContext(ctx, c.wsURL(""), c.opts.Header)
	if err != nil {
		return fmt.Errorf("sioclient: websocket %s: %w", c.wsURL(""), err)
	}
	_, msg, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return fmt.Errorf("sioclient: websocket handshake: %w", err)
	}
	p, err := eio.DecodePacket(eio.V4, msg, false)
	if err != nil || p.Type != eio.Open {
		ws.Close()
		return fmt.Errorf("sioclient: websocket handshake %q is not an open packet", msg)
	}
	if c.Handshake, err = eio.ParseOpen(p.Data); err != nil {
		ws.Close()
		return fmt.Errorf("sioclient: handshake: %w", err)
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	close(c.pollDone)
	go c.writeLoop(ws)
	go c.readWebSocket(ws)
	return nil
}

// pollLoop is the long-polling reader: one GET in flight at a time, as the
// protocol requires. It stops after the noop that answers an upgrade.
func (c *Client) pollLoop(first []eio.Packet) {
	defer close(c.pollDone)
	for _, p := range first {
		if err := c.handle(p); err != nil {
			c.shutdown(err)
			return
		}
	}
	for !c.pollStop.Load() {
		select {
		case <-c.done:
			return
		default:
		}
		body, hdr, err := c.do(context.Background(), http.MethodGet, c.pollURL(c.Sid()), nil)
		if err != nil {
			c.shutdown(err)
			return
		}
		ps, err := eio.DecodePayload(eio.V4, body, hdr.Get("Content-Type"))
		for _, p := range ps {
			if herr := c.handle(p); herr != nil {
				c.shutdown(herr)
				return
			}
		}
		if err != nil {
			c.shutdown(err)
			return
		}
	}
}

func (c *Client) post(ctx context.Context, ps []eio.Packet) error {
	_, _, err := c.do(ctx, http.MethodPost, c.pollURL(c.Sid()), eio.EncodePayloadV4(ps))
	return err
}

// writeLoop owns every write: POSTs while polling, WebSocket messages after
// the upgrade, so packet order survives the switch.
func (c *Client) writeLoop(ws *websocket.Conn) {
	for {
		select {
		case <-c.done:
			return
		case nws := <-c.wsHandoff:
			ws = nws
			if err := ws.WriteMessage(websocket.TextMessage, []byte("5")); err != nil {
				c.shutdown(err)
				return
			}
		case batch := <-c.outbox:
			// Batch what is already queued, like engine.io-client does.
		more:
			for len(batch) < 64 {
				select {
				case b := <-c.outbox:
					batch = append(batch, b...)
				default:
					break more
				}
			}
			var err error
			if ws != nil {
				err = writeWS(ws, batch)
			} else {
				err = c.post(context.Background(), batch)
			}
			if err != nil {
				c.shutdown(err)
				return
			}
		}
	}
}

func writeWS(ws *websocket.Conn, ps []eio.Packet) error {
	for _, p := range ps {
		data, binary := eio.EncodePacket(eio.V4, p)
		mt := websocket.TextMessage
		if binary {
			mt = websocket.BinaryMessage
		}
		if err := ws.WriteMessage(mt, data); err != nil {
			return err
		}
	}
	return nil
}

// upgrade probes a WebSocket for the session and switches to it, in the
// order engine.io-client uses: 2probe, 3probe, pause polling, 5.
func (c *Client) upgrade() {
	ws, _, err := c.opts.Dialer.Dial(c.wsURL(c.Sid()), c.opts.Header)
	if err != nil {
		return // stay on polling, as the real client does after a probe error
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("2probe")); err != nil {
		ws.Close()
		return
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := ws.ReadMessage()
	ws.SetReadDeadline(time.Time{})
	if err != nil || string(msg) != "3probe" {
		ws.Close()
		return
	}
	c.pollStop.Store(true)
	select {
	case <-c.pollDone:
	case <-c.done:
		ws.Close()
		return
	}
	c.mu.Lock()
	c.ws = ws
	c.upgraded = true
	c.mu.Unlock()
	select {
	case c.wsHandoff <- ws:
	case <-c.done:
		return
	}
	c.readWebSocket(ws)
}

// readWebSocket is the reader once the session runs on WebSocket.
func (c *Client) readWebSocket(ws *websocket.Conn) {
	for {
		mt, msg, err := ws.ReadMessage()
		if err != nil {
			select {
			case <-c.done:
			default:
				c.shutdown(fmt.Errorf("sioclient: websocket: %w", err))
			}
			return
		}
		p, err := eio.DecodePacket(eio.V4, msg, mt == websocket.BinaryMessage)
		if err == nil {
			err = c.handle(p)
		}
		if err != nil {
			c.shutdown(err)
			return
		}
	}
}
