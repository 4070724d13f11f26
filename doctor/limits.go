package doctor

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// maxWrite bounds what --write sends, whatever maxPayload says.
const maxWrite = 16 << 20

// probeLimits POSTs a body of exactly maxPayload and one byte over (H1).
// Only with --write: it sends data, and the second POST ends its session.
func (d *doctor) probeLimits(ctx context.Context, e *engine) {
	p := d.probe(LayerLimits, "maxPayload")
	switch {
	case !d.opts.Write:
		p.skip("--write not given: this check POSTs maxPayload bytes")
		return
	case !e.polling:
		p.skip("WebSocket-only: the POST check needs polling")
		return
	case !e.open.HasMaxPayload:
		p.skip("the open packet advertises no maxPayload")
		return
	case e.open.MaxPayload > maxWrite:
		p.skip("maxPayload %d B is over the %d B this check sends", e.open.MaxPayload, maxWrite)
		return
	}
	mp := int(e.open.MaxPayload)
	body := func(n int) eio.Packet {
		// A noop packet: the server reads and drops it. Its encoded size
		// is 1 + len(data) in both versions' single-packet v4 framing.
		return eio.Packet{Type: eio.Noop, Data: bytes.Repeat([]byte("x"), n-1)}
	}
	s, x, err := d.newSession(ctx, e, nil)
	if err != nil {
		p.exchange(x)
		p.skip("no session: %s", esc(err.Error()))
		return
	}
	under, uerr := s.post(ctx, body(mp-overhead(e.v, mp)))
	s.close(ctx)
	if uerr != nil {
		p.exchange(under)
		if under.Status == 413 {
			p.fail("a POST of exactly maxPayload (%d B) was refused with 413: something in front of the server caps bodies below the advertised maxPayload", mp).fault(diagnose.CodePayloadTooLarge)
			p.Fix = fmt.Sprintf("Raise the intermediary's body limit above %d B (nginx `client_max_body_size`), or lower the server's `maxHttpBufferSize` to match.", mp)
		} else {
			p.fail("a POST of exactly maxPayload (%d B) failed: %s", mp, esc(uerr.Error())).fault(diagnose.CodePayloadTooLarge)
		}
		return
	}
	s2, x, err := d.newSession(ctx, e, nil)
	if err != nil {
		p.exchange(x)
		p.skip("no second session: %s", esc(err.Error()))
		return
	}
	over, oerr := s2.post(ctx, body(mp+1-overhead(e.v, mp+1)))
	p.exchange(over)
	s2.close(ctx)
	switch {
	case over.Status == 413:
		p.pass("maxPayload %d B holds: %d B accepted, %d B refused with 413 (messages over it fail with \"xhr post error\", H1)", mp, mp, mp+1)
		p.Fault, p.Code = "H1", diagnose.CodePayloadTooLarge
		p.Fix = fmt.Sprintf("Clients must keep each POST under %d B; raise `maxHttpBufferSize` on the server if they need more.", mp)
	case oerr == nil:
		p.warn("a POST of %d B (over maxPayload %d B) was accepted: the advertised limit is not what the server enforces", mp+1, mp).Fault = "H1"
	default:
		p.pass("maxPayload %d B holds: %d B accepted, %d B refused (%s)", mp, mp, mp+1, esc(oerr.Error()))
		p.Fault = "H1"
	}
}

// overhead is the framing a single-packet body of n bytes puts around its
// packet: none in v4, "<length>:" in v3.
func overhead(v eio.Version, n int) int {
	if v != eio.V3 {
		return 0
	}
	for d := 1; d < 20; d++ {
		if len(strconv.Itoa(n-d-1)) == d {
			return d + 1
		}
	}
	return 0
}
