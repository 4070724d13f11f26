package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// engine is what the handshake layer found, for the layers above.
type engine struct {
	v       eio.Version
	path    string // where Engine.IO answers
	polling bool   // sessions start with a polling handshake
	open    eio.Handshake
}

// errorMessages are engine.io's Server.errorMessages, for refused
// upgrades, whose body is only the text.
var errorMessages = []string{"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden", "Unsupported protocol version"}

func withSlash(p string) string {
	if strings.HasSuffix(p, "/") {
		return p
	}
	return p + "/"
}

// probeEngine runs the handshakes (both versions), the path variants and
// reads the open packet. It returns nil when no session can be opened the
// way the clients would.
func (d *doctor) probeEngine(ctx context.Context) *engine {
	v := eio.Version(d.opts.EIO)
	main := withSlash(d.opts.Path)
	if !d.opts.has("polling") {
		return d.probeWSOnlyEngine(ctx, v, main)
	}
	name := fmt.Sprintf("polling handshake (EIO=%d)", v)
	p := d.probe(LayerEngine, name)
	r := d.handshake(ctx, v, main, nil)
	p.exchange(r.x)
	e := &engine{v: v, path: main, polling: true}
	switch {
	case r.ok && r.v3Framing:
		p.fail("the server answered EIO=4 in Engine.IO v3 framing (%s): it is a Socket.IO 2.x server", snippet(r.x.Body, 40)).fault(diagnose.CodeV2Server)
		p.Fix = "Upgrade the server to socket.io ≥ 3 (v3/v4 clients cannot talk to a 2.x server), or keep 2.x clients and check them with --eio 3."
		d.probeOtherVersion(ctx, v, main)
		return nil
	case r.ok:
		p.pass("open packet: sid %s, upgrades %s, pingInterval %d ms, pingTimeout %d ms%s", esc(r.open.Sid), upgradesText(r.open.Upgrades), r.open.PingInterval, r.open.PingTimeout, maxPayloadText(r.open))
		e.open = r.open
		d.closeHandshake(ctx, r)
	case r.code >= 0:
		d.handshakeCode(p, r, v)
	default:
		if !d.tls && d.tlsOnPlain(ctx) {
			p.fail("no Engine.IO answer: %s", r.notEIO)
			return nil
		}
		p.fail("no Engine.IO answer at %s: %s", esc(main), r.notEIO)
		if r.x.Status != 0 {
			p.fault(diagnose.CodePathMismatch)
		}
	}
	d.probeOtherVersion(ctx, v, main)
	path, ok := d.probePath(ctx, v, main, r)
	if !ok {
		return nil
	}
	if !r.ok {
		// The clients' path fails; go on at the one that answers so the
		// layers above are still diagnosed.
		if r.code >= 0 {
			return nil
		}
		r2 := d.handshake(ctx, v, path, nil)
		if !r2.ok || r2.v3Framing {
			return nil
		}
		e.open, e.path = r2.open, path
		d.closeHandshake(ctx, r2)
	}
	d.probeOpen(e)
	return e
}

// closeHandshake ends a probe's session at once.
func (d *doctor) closeHandshake(ctx context.Context, r *hsResult) {
	s := &session{d: d, v: r.v, path: r.path, sid: r.open.Sid, hdr: http.Header{}}
	s.takeCookies(r.x)
	s.close(ctx)
}

// handshakeCode explains an Engine.IO error code (FAULTS.md A, E1).
func (d *doctor) handshakeCode(p *Probe, r *hsResult, v eio.Version) {
	switch r.code {
	case 0:
		p.fail("refused with code 0 %q: polling is not among the server's transports", esc(r.msg)).fault(diagnose.CodeTransportUnknown)
		p.Fix = "The server runs with `transports: [\"websocket\"]`: give clients the same option (check with --transports websocket), or enable polling on the server."
	case 1:
		p.fail("refused with code 1 %q on a request without sid", esc(r.msg)).fault(diagnose.CodeSessionUnknown)
	case 2:
		p.fail("refused with code 2 %q", esc(r.msg)).fault(diagnose.CodeBadHandshakeMethod)
	case 3:
		p.fail("refused with code 3 %q: an io.engine.use() middleware or the origin check failed", esc(r.msg)).fault(diagnose.CodeBadRequest)
	case 4:
		p.fail("refused with code 4 %q: the server's allowRequest said no", esc(r.msg)).fault(diagnose.CodeForbidden)
		p.Fix = fmt.Sprintf("The server's `allowRequest` refused this request (reason %q): check what it tests (Origin, headers, cookies, --auth does not reach it) and pass what it wants with --header/--origin.", esc(r.msg))
	case 5:
		if v == eio.V3 {
			p.fail("EIO=3 refused with code 5 %q: the server does not accept Socket.IO 2.x clients", esc(r.msg)).fault(diagnose.CodeEIO3Rejected)
			p.Fix = "Set `allowEIO3: true` on the server (socket.io ≥ 3.1.0) while clients migrate, or upgrade the clients to socket.io-client ≥ 3."
		} else {
			p.fail("EIO=%d refused with code 5 %q", v, esc(r.msg)).fault(diagnose.CodeEIO3Rejected)
			p.Fix = "The server does not speak this Engine.IO version: align the client and server major versions."
		}
	default:
		p.fail("refused with code %d %q", r.code, esc(r.msg)).Fault = "A"
	}
}

// probeOtherVersion tries the version the clients do not use, to tell
// which clients the server accepts (E1, E2).
func (d *doctor) probeOtherVersion(ctx context.Context, v eio.Version, path string) {
	other := eio.V3
	if v == eio.V3 {
		other = eio.V4
	}
	p := d.probe(LayerEngine, fmt.Sprintf("polling handshake (EIO=%d)", other))
	r := d.handshake(ctx, other, path, nil)
	p.exchange(r.x)
	switch {
	case r.ok && other == eio.V3:
		p.pass("EIO=3 accepted (allowEIO3 is on): Socket.IO 2.x clients can connect too")
		d.closeHandshake(ctx, r)
	case r.ok && r.v3Framing:
		p.pass("EIO=4 answered in v3 framing: a Socket.IO 2.x server; v3/v4 clients cannot connect (E2)")
		d.closeHandshake(ctx, r)
	case r.ok:
		p.pass("EIO=4 accepted: the server also talks to v3/v4 clients")
		d.closeHandshake(ctx, r)
	case r.code == 5 && other == eio.V3:
		p.pass("EIO=3 refused with code 5 (allowEIO3 off): Socket.IO 2.x clients cannot connect; if you have any, see E1 and run with --eio 3")
	default:
		p.pass("EIO=%d: %s (your clients use EIO=%d)", other, r.describe(), v)
	}
}

// probeOpen reads the open packet's fields.
func (d *doctor) probeOpen(e *engine) {
	p := d.probe(LayerEngine, "open packet")
	o := e.open
	p.Request = "the handshake's open packet"
	p.Response = fmt.Sprintf("sid %s  upgrades %s  pingInterval %d  pingTimeout %d%s", esc(o.Sid), upgradesText(o.Upgrades), o.PingInterval, o.PingTimeout, maxPayloadText(o))
	hasWS := false
	for _, u := range o.Upgrades {
		hasWS = hasWS || u == "websocket"
	}
	switch {
	case o.PingInterval <= 0 || o.PingTimeout <= 0:
		p.warn("pingInterval %d / pingTimeout %d: the heartbeat is not configured as clients expect", o.PingInterval, o.PingTimeout).Fault = "F1"
	case e.polling && d.opts.has("websocket") && !hasWS:
		p.warn("upgrades is %s: the server offers no WebSocket upgrade, clients stay on long-polling", upgradesText(o.Upgrades)).fault(diagnose.CodeStuckOnPolling)
		p.Fix = "Enable WebSocket on the server (`transports` including \"websocket\", `allowUpgrades` true), or pass --transports polling if polling-only is intended."
	default:
		p.pass("sid %s, pingInterval %d ms + pingTimeout %d ms = %d ms before a dead peer is noticed%s", esc(o.Sid), o.PingInterval, o.PingTimeout, o.PingInterval+o.PingTimeout, maxPayloadText(o))
	}
}

func upgradesText(u []string) string {
	if len(u) == 0 {
		return "[]"
	}
	return "[" + esc(strings.Join(u, ",")) + "]"
}

func maxPayloadText(o eio.Handshake) string {
	if !o.HasMaxPayload {
		return ", no maxPayload (engine.io < 6.2 or v3)"
	}
	return fmt.Sprintf(", maxPayload %d B", o.MaxPayload)
}

// tlsOnPlain checks whether an http:// URL's port speaks TLS (I2).
func (d *doctor) tlsOnPlain(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	c, err := (&tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{InsecureSkipVerify: true, ServerName: d.base.Hostname()}}).DialContext(cctx, "tcp", d.addr)
	if err != nil {
		return false
	}
	c.Close()
	p := d.probe(LayerNetwork, "plain HTTP on a TLS port")
	p.Request = "TLS ClientHello to " + esc(d.addr)
	p.Response = "TLS handshake completed"
	p.fail("%s speaks TLS, but the URL says http://", esc(d.addr)).fault(diagnose.CodeTLSClientPlainHTTP)
	p.Fix = fmt.Sprintf("Use https://%s (wss:// for WebSocket) in the client URL.", esc(d.base.Host))
	return true
}

// probeWSOnlyEngine is the handshake for --transports websocket.
func (d *doctor) probeWSOnlyEngine(ctx context.Context, v eio.Version, main string) *engine {
	p := d.probe(LayerEngine, fmt.Sprintf("websocket handshake (EIO=%d)", v))
	e := &engine{v: v, path: main}
	s, x, err := d.newSession(ctx, e, nil)
	p.exchange(x)
	if err != nil {
		d.wsRefused(p, x, err, v)
		return nil
	}
	defer s.close(ctx)
	e.open = s.open
	p.pass("open packet over WebSocket: sid %s, pingInterval %d ms, pingTimeout %d ms%s", esc(s.open.Sid), s.open.PingInterval, s.open.PingTimeout, maxPayloadText(s.open))
	d.probeOpen(e)
	return e
}

// wsRefused explains an upgrade that did not give a WebSocket.
func (d *doctor) wsRefused(p *Probe, x *exchange, err error, v eio.Version) {
	if x == nil || x.Status == 0 {
		p.fail("no WebSocket: %s", esc(err.Error())).fault(diagnose.CodeUpgradeRefused)
		return
	}
	body := strings.TrimSpace(string(x.Body))
	code := -1
	for i, m := range errorMessages {
		if body == m || strings.Contains(body, `"message":"`+m+`"`) {
			code = i
		}
	}
	switch code {
	case 5:
		if v == eio.V3 {
			p.fail("upgrade refused %d %q: EIO=3 not accepted", x.Status, esc(body)).fault(diagnose.CodeEIO3Rejected)
		} else {
			p.fail("upgrade refused %d %q", x.Status, esc(body)).fault(diagnose.CodeEIO3Rejected)
		}
	case 1:
		p.fail("upgrade refused %d %q: the WebSocket reached a server that does not hold this session", x.Status, esc(body)).fault(diagnose.CodeSessionUnknownLive)
	case 3:
		p.fail("upgrade refused %d %q: the Upgrade/Connection headers did not reach the server", x.Status, esc(body)).fault(diagnose.CodeUpgradeStripped)
		p.Fix = "An intermediary drops the WebSocket headers. " + catalogue[diagnose.CodeUpgradeStripped].Fix
	case 0:
		p.fail("upgrade refused %d %q: websocket is not among the server's transports", x.Status, esc(body)).fault(diagnose.CodeTransportUnknown)
	case 4:
		p.fail("upgrade refused %d %q: allowRequest said no", x.Status, esc(body)).fault(diagnose.CodeForbidden)
	default:
		p.fail("upgrade answered %d, not 101 Switching Protocols", x.Status).fault(diagnose.CodeUpgradeRefused)
		if x.Status == 404 {
			p.fault(diagnose.CodePathMismatch)
		}
	}
}
