package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// probeWebSocket upgrades a polling session as socket.io-client does (101,
// 2probe/3probe, 5), opens a WebSocket-only session, and reports
// permessage-deflate (FAULTS.md D1, D2).
func (d *doctor) probeWebSocket(ctx context.Context, e *engine) {
	if !d.opts.has("websocket") {
		d.probe(LayerWebSocket, "WebSocket").skip("--transports has no websocket")
		return
	}
	var deflateSeen *wsConn
	if e.polling {
		p := d.probe(LayerWebSocket, "upgrade after polling")
		if !offersWebSocket(e.open) {
			p.skip("the open packet offers no upgrade (upgrades %s), so clients never try one", upgradesText(e.open.Upgrades))
		} else if w := d.upgradeProbe(ctx, p, e); w != nil {
			deflateSeen = w
			defer w.close()
		}
	}

	p := d.probe(LayerWebSocket, "WebSocket-only")
	w, x, err := d.wsDial(ctx, e.path, e.v, "", d.browserHeader(), true)
	p.exchange(x)
	if err != nil {
		d.wsRefused(p, x, err, e.v)
	} else {
		ps, err := w.recv(ctx, d.opts.Timeout)
		switch {
		case err != nil:
			p.fail("101, but no open packet: %s", esc(err.Error())).fault(diagnose.CodeProbeUnanswered)
		case ps[0].Type != eio.Open:
			p.fail("101, but the first message is %s, not open", ps[0].Type)
		default:
			o, _ := eio.ParseOpen(ps[0].Data)
			p.Response += "  then: 0" + snippet(ps[0].Data, 160)
			p.pass("101 and the open packet over WebSocket (sid %s)", esc(o.Sid))
		}
		if deflateSeen == nil {
			deflateSeen = w
		}
		w.send(e.v, eio.Packet{Type: eio.Close})
		w.close()
	}

	p = d.probe(LayerWebSocket, "permessage-deflate")
	if deflateSeen == nil {
		p.skip("no WebSocket was opened")
		return
	}
	p.Request = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
	p.Response = "Sec-WebSocket-Extensions: " + esc(deflateSeen.ExtHdr)
	if deflateSeen.Ext.Deflate {
		p.pass("offered and accepted (%s): messages may be compressed", esc(deflateSeen.ExtHdr))
	} else {
		p.pass("offered, not accepted: messages travel uncompressed (perMessageDeflate is off by default since Socket.IO 3)")
	}
}

func offersWebSocket(o eio.Handshake) bool {
	for _, u := range o.Upgrades {
		if u == "websocket" {
			return true
		}
	}
	return false
}

// upgradeProbe runs the upgrade of a fresh polling session. On success it
// returns the open WebSocket (for the deflate report).
func (d *doctor) upgradeProbe(ctx context.Context, p *Probe, e *engine) *wsConn {
	s, hx, err := d.newSession(ctx, e, d.browserHeader())
	if err != nil {
		p.exchange(hx)
		p.skip("no polling session: %s (see the engine.io layer)", esc(err.Error()))
		return nil
	}
	w, x, err := d.wsDial(ctx, e.path, e.v, s.sid, s.hdr, true)
	p.exchange(x)
	if err != nil {
		d.wsRefused(p, x, err, e.v)
		if identity(hx) != "" || identity(x) != "" {
			p.detail("handshake answered by %q, upgrade by %q", identity(hx), identity(x))
		}
		s.close(ctx)
		return nil
	}
	steps := []string{"101 Switching Protocols"}
	if err := w.send(e.v, eio.Packet{Type: eio.Ping, Data: []byte("probe")}); err != nil {
		p.fail("could not send 2probe: %s", esc(err.Error())).fault(diagnose.CodeProbeUnanswered)
		w.close()
		return nil
	}
	steps = append(steps, "→ 2probe")
	start := time.Now()
	got := false
	for !got && time.Since(start) < d.opts.Timeout {
		ps, err := w.recv(ctx, d.opts.Timeout-time.Since(start))
		if err != nil {
			p.Response += "  then: " + strings.Join(steps, " ") + " … " + esc(err.Error())
			p.fail("101, but 2probe got no 3probe: %s", esc(err.Error())).fault(diagnose.CodeProbeUnanswered)
			p.Fix = fmt.Sprintf("The WebSocket opened but its frames do not come back (waited %v): look for a buffering intermediary. %s", d.opts.Timeout, catalogue[diagnose.CodeProbeUnanswered].Fix)
			w.close()
			return nil
		}
		for _, pk := range ps {
			if pk.Type == eio.Pong && string(pk.Data) == "probe" {
				got = true
			}
		}
	}
	steps = append(steps, "← 3probe", "→ 5")
	if err := w.send(e.v, eio.Packet{Type: eio.Upgrade}); err != nil {
		p.fail("could not send 5: %s", esc(err.Error())).fault(diagnose.CodeUpgradeIncomplete)
		w.close()
		return nil
	}
	// The session now runs on the WebSocket: a CONNECT answered over it
	// proves the server switched.
	s.ws = w
	s.first = nil
	if _, err := s.send(ctx, firstPost(d.opts, e.v)); err == nil {
		if e.v == eio.V3 && d.opts.Nsp == "/" {
			_, err = w.recv(ctx, d.opts.Timeout)
		} else {
			_, _, err = s.awaitConnect(ctx, d.opts.Nsp)
		}
		if err != nil {
			p.Response += "  then: " + strings.Join(steps, " ") + " … " + esc(err.Error())
			p.fail("upgrade sent, but the session does not answer over the WebSocket: %s", esc(err.Error())).fault(diagnose.CodeUpgradeIncomplete)
			w.close()
			return nil
		}
		steps = append(steps, "→ CONNECT", "← answered")
	}
	p.Response += "  then: " + strings.Join(steps, " ")
	p.pass("upgraded: 101, 2probe → 3probe, 5; the session answers over the WebSocket")
	return w
}
