package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// leanConn is one Engine.IO v4 / Socket.IO v5 session over WebSocket, as
// cheap as the protocol allows, for the many-connections run: one reader
// goroutine, a small fixed buffer, no channels, no decoder, no map of
// pending acks. It joins "/" ("40"), answers the server's pings ("2" →
// "3"), sends EVENTs with ack ids ("42<id>[...]") and counts the ACKs
// ("43<id>[...]"). sioclient, which the round-trip loads use, spends
// several times the CPU per message (a goroutine hop, a channel and a map
// entry per ack, a full decode), which at 10,000 messages a second on two
// shared cores left no CPU for the proxy it measures.
type leanConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex // writes come from the reader (pongs) and a sender
	id  uint64     // next ack id; under wmu
	out []byte     // scratch for an EVENT; under wmu
	// sentAt holds the send time (UnixNano) of ack id i at i%len; with at
	// most a few EVENTs in flight per connection a slot is never reused
	// before its ACK arrives.
	sentAt [16]atomic.Int64
	st     *leanStats
	done   chan struct{}
	err    error // why the reader ended; read after done
}

// leanStats are the counters of one many-connections run.
type leanStats struct {
	sent, acked, pongs, writeErrs atomic.Int64
	lat                           latHist
}

// latHist is a lock-free latency histogram: 1 ms buckets up to 10 s.
type latHist struct{ b [10001]atomic.Int64 }

func (h *latHist) add(d time.Duration) {
	ms := int(d / time.Millisecond)
	h.b[min(max(ms, 0), len(h.b)-1)].Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *latHist) quantile(q float64) time.Duration {
	var n int64
	for i := range h.b {
		n += h.b[i].Load()
	}
	if n == 0 {
		return 0
	}
	want := int64(q * float64(n))
	var seen int64
	for i := range h.b {
		seen += h.b[i].Load()
		if seen > want {
			return time.Duration(i+1) * time.Millisecond
		}
	}
	return time.Duration(len(h.b)) * time.Millisecond
}

var leanDialer = &websocket.Dialer{
	HandshakeTimeout: 30 * time.Second,
	// Small buffers: 10,000 connections live in this one process.
	ReadBufferSize:  512,
	WriteBufferSize: 512,
}

// dialLean opens a WebSocket-only session at base (http://host:port) and
// joins the main namespace; the reader runs from then on.
func dialLean(ctx context.Context, base string, st *leanStats) (*leanConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme, u.Path, u.RawQuery = "ws", "/socket.io/", "EIO=4&transport=websocket"
	ws, _, err := leanDialer.DialContext(ctx, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", u, err)
	}
	c := &leanConn{ws: ws, st: st, done: make(chan struct{}), out: make([]byte, 0, 128)}
	if dl, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(dl)
	}
	buf := make([]byte, 256)
	n, err := c.read(buf)
	if err != nil || n == 0 || buf[0] != '0' {
		ws.Close()
		return nil, fmt.Errorf("websocket %s: no Engine.IO open packet (%q): %v", u, buf[:n], err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		n, err = c.read(buf)
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("websocket %s: waiting for the CONNECT reply: %w", u, err)
		}
		if bytes.HasPrefix(buf[:n], []byte("40")) {
			break
		}
		if bytes.HasPrefix(buf[:n], []byte("44")) {
			ws.Close()
			return nil, fmt.Errorf("websocket %s: CONNECT refused: %q", u, buf[:n])
		}
		if n == 1 && buf[0] == '2' {
			c.pong()
		}
	}
	ws.SetReadDeadline(time.Time{})
	go c.readLoop()
	return c, nil
}

// read reads one message into buf, discarding what does not fit (the
// benchmark's own messages are short; only their heads matter).
func (c *leanConn) read(buf []byte) (int, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	_, err = io.Copy(io.Discard, r)
	return n, err
}

func (c *leanConn) pong() {
	c.wmu.Lock()
	err := c.ws.WriteMessage(websocket.TextMessage, []byte("3"))
	c.wmu.Unlock()
	if err == nil {
		c.st.pongs.Add(1)
	}
}

func (c *leanConn) readLoop() {
	defer close(c.done)
	buf := make([]byte, 64)
	for {
		n, err := c.read(buf)
		if err != nil {
			c.err = err
			return
		}
		m := buf[:n]
		switch {
		case n == 1 && m[0] == '2':
			c.pong()
		case n > 2 && m[0] == '4' && m[1] == '3':
			j := 2
			for j < n && m[j] >= '0' && m[j] <= '9' {
				j++
			}
			id, perr := strconv.ParseUint(string(m[2:j]), 10, 64)
			if perr != nil {
				continue
			}
			if t := c.sentAt[id%uint64(len(c.sentAt))].Load(); t != 0 {
				c.st.lat.add(time.Duration(time.Now().UnixNano() - t))
			}
			c.st.acked.Add(1)
		case n == 1 && m[0] == '1':
			c.err = errors.New("server closed the session")
			return
		}
	}
}

// emit sends `42<id>["<event>",<arg>]` and counts it.
func (c *leanConn) emit(event, arg string) error {
	c.wmu.Lock()
	id := c.id
	c.id++
	b := append(c.out[:0], '4', '2')
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `["`...)
	b = append(b, event...)
	b = append(b, `",`...)
	b = append(b, arg...)
	b = append(b, ']')
	c.out = b
	c.sentAt[id%uint64(len(c.sentAt))].Store(time.Now().UnixNano())
	err := c.ws.WriteMessage(websocket.TextMessage, b)
	c.wmu.Unlock()
	if err != nil {
		c.st.writeErrs.Add(1)
		return err
	}
	c.st.sent.Add(1)
	return nil
}

func (c *leanConn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Close sends a close frame and closes the socket.
func (c *leanConn) Close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}

// drive sends rate EVENTs a second on each of conns until stop, open
// loop: a send never waits for an earlier ACK, so a slow server or proxy
// shows as ACKs behind sends and as latency, not as a lower offered rate.
// The connections' sends are spread evenly over each interval and split
// among shards goroutines. A shard that falls more than one interval
// behind skips the missed sends (counted in missed) rather than bursting.
func drive(conns []*leanConn, rate float64, start, stop time.Time, shards int, event, arg string, missed *atomic.Int64) {
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	for s := 0; s < shards; s++ {
		var mine []*leanConn
		var phase []time.Duration
		for i := s; i < len(conns); i += shards {
			mine = append(mine, conns[i])
			phase = append(phase, time.Duration(i)*interval/time.Duration(len(conns)))
		}
		if len(mine) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			round := start
			for {
				for k, c := range mine {
					due := round.Add(phase[k])
					if due.After(stop) {
						return
					}
					if d := time.Until(due); d > 200*time.Microsecond {
						time.Sleep(d)
					}
					if c.alive() {
						_ = c.emit(event, arg)
					}
				}
				round = round.Add(interval)
				if behind := time.Since(round); behind > interval {
					skip := behind / interval
					missed.Add(int64(skip) * int64(len(mine)))
					round = round.Add(skip * interval)
				}
			}
		}()
	}
	wg.Wait()
}
