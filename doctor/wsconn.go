package doctor

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/ws"
)

// wsConn is a minimal WebSocket client on the project's own frame codec:
// the upgrade request is written by hand so the report can quote it, and
// a refused upgrade's status and body are kept (engine.io answers them as
// plain text).
type wsConn struct {
	c       net.Conn
	br      *bufio.Reader
	parser  *ws.Parser
	Ext     ws.Extensions
	ExtHdr  string
	pending []eio.Packet
	v       eio.Version
	closed  error // set when the server's close frame arrived
	buf     []byte
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsTarget(path string, v eio.Version, sid string) string {
	q := "EIO=" + strconv.Itoa(int(v)) + "&transport=websocket"
	if sid != "" {
		q += "&sid=" + sid
	}
	return path + "?" + q
}

// wsDial sends the upgrade request. The exchange records it and the
// answer; the error says why there is no WebSocket.
func (d *doctor) wsDial(ctx context.Context, path string, v eio.Version, sid string, hdr http.Header, deflate bool) (*wsConn, *exchange, error) {
	target := wsTarget(path, v, sid)
	var key [16]byte
	rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	x := &exchange{Method: "GET", Target: target, ReqHdr: http.Header{}}
	for kk, vs := range d.opts.Header {
		x.ReqHdr[kk] = vs
	}
	for kk, vs := range hdr {
		x.ReqHdr[kk] = vs
	}
	x.ReqHdr.Set("Upgrade", "websocket")
	x.ReqHdr.Set("Connection", "Upgrade")
	x.ReqHdr.Set("Sec-WebSocket-Version", "13")
	if deflate {
		x.ReqHdr.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
	}
	start := time.Now()
	defer func() { x.Took = time.Since(start) }()

	dl := time.Now().Add(d.opts.Timeout)
	cctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	var c net.Conn
	var err error
	if d.tls {
		c, err = (&tls.Dialer{NetDialer: &net.Dialer{}, Config: d.tlsCf}).DialContext(cctx, "tcp", d.addr)
	} else {
		c, err = (&net.Dialer{}).DialContext(cctx, "tcp", d.addr)
	}
	if err != nil {
		x.Err = unwrapURLError(err, d.opts.Timeout)
		return nil, x, x.Err
	}
	c.SetDeadline(dl)
	req, _ := http.NewRequest("GET", d.base.String()+target, nil)
	req.Header = x.ReqHdr.Clone()
	req.Header.Set("Sec-WebSocket-Key", k)
	if err := req.Write(c); err != nil {
		c.Close()
		x.Err = err
		return nil, x, err
	}
	// The answer's head is capped like net/http's client caps it; frames
	// after a 101 are not.
	lr := &io.LimitedReader{R: c, N: 1 << 20}
	br := bufio.NewReader(lr)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		c.Close()
		x.Err = unwrapURLError(err, d.opts.Timeout)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			x.Err = errors.New("connection closed without an answer")
		}
		return nil, x, x.Err
	}
	x.Status, x.Header = resp.StatusCode, resp.Header
	if resp.StatusCode != http.StatusSwitchingProtocols {
		x.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		c.Close()
		return nil, x, fmt.Errorf("upgrade answered %d, not 101", resp.StatusCode)
	}
	sum := sha1.Sum([]byte(k + wsGUID))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		x.Err = fmt.Errorf("bad Sec-WebSocket-Accept %q", esc(got))
		return nil, x, x.Err
	}
	lr.N = math.MaxInt64
	w := &wsConn{c: c, br: br, v: v, buf: make([]byte, 32<<10)}
	w.ExtHdr = resp.Header.Get("Sec-WebSocket-Extensions")
	if w.ExtHdr != "" {
		ext, err := ws.ParseExtensions(w.ExtHdr)
		if err != nil {
			c.Close()
			x.Err = fmt.Errorf("server's Sec-WebSocket-Extensions does not parse: %v", err)
			return nil, x, x.Err
		}
		w.Ext = ext
	}
	w.parser = ws.NewParser(decode.S2C, w.Ext, ws.Options{MaxMessage: 4 << 20, MaxInflate: 4 << 20})
	c.SetDeadline(time.Time{})
	return w, x, nil
}

// send writes packets as masked text or binary frames (never compressed:
// permessage-deflate lets each message choose).
func (w *wsConn) send(v eio.Version, ps ...eio.Packet) error {
	var out []byte
	for _, p := range ps {
		data, bin := eio.EncodePacket(v, p)
		op := byte(1)
		if bin {
			op = 2
		}
		var mask [4]byte
		rand.Read(mask[:])
		out = ws.AppendFrame(out, op, true, false, &mask, data)
	}
	w.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.c.Write(out)
	return err
}

// errWSClosed wraps the server's close frame.
var errWSClosed = errors.New("closed by the server")

// recv returns the next Engine.IO packets, waiting at most hold.
func (w *wsConn) recv(ctx context.Context, hold time.Duration) ([]eio.Packet, error) {
	dl := time.Now().Add(hold)
	if cd, ok := ctx.Deadline(); ok && cd.Before(dl) {
		dl = cd
	}
	w.c.SetReadDeadline(dl)
	defer w.c.SetReadDeadline(time.Time{})
	for len(w.pending) == 0 {
		if w.closed != nil {
			return nil, w.closed
		}
		n, err := w.br.Read(w.buf)
		if n > 0 {
			var perr error
			ferr := w.parser.Feed(w.buf[:n], func(m *ws.Message) {
				switch m.Opcode {
				case 1, 2:
					if m.Err != nil {
						perr = m.Err
						return
					}
					p, err := eio.DecodePacket(w.v, append([]byte(nil), m.Data...), m.Opcode == 2)
					if err != nil {
						perr = err
						return
					}
					w.pending = append(w.pending, p)
				case 8:
					w.closed = fmt.Errorf("%w: close code %d %q", errWSClosed, m.CloseCode, esc(m.CloseReason))
				case 9:
					var mask [4]byte
					rand.Read(mask[:])
					w.c.Write(ws.AppendFrame(nil, 10, true, false, &mask, m.Data))
				}
			})
			if ferr != nil {
				return nil, ferr
			}
			if perr != nil {
				return nil, perr
			}
		}
		if err != nil && len(w.pending) == 0 {
			if w.closed != nil {
				return nil, w.closed
			}
			if isTimeout(err) {
				return nil, fmt.Errorf("nothing within %v", hold.Round(time.Millisecond))
			}
			if errors.Is(err, io.EOF) {
				return nil, errors.New("connection closed without a close frame")
			}
			return nil, err
		}
	}
	ps := w.pending
	w.pending = nil
	return ps, nil
}

func (w *wsConn) close() {
	var mask [4]byte
	rand.Read(mask[:])
	w.c.SetWriteDeadline(time.Now().Add(time.Second))
	w.c.Write(ws.AppendFrame(nil, 8, true, false, &mask, ws.AppendClosePayload(nil, 1000, "")))
	w.c.Close()
}
