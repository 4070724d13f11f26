package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
)

// connectData is the Socket.IO CONNECT a client sends for nsp: protocol 5
// (EIO4) carries auth as the payload, protocol 4 (EIO3) as the query.
func connectData(nsp string, auth json.RawMessage, v eio.Version) []byte {
	if v == eio.V3 {
		s := "0" + nsp
		if q := authQuery(auth); q != "" {
			s += "?" + q
		}
		return []byte(s + ",")
	}
	s := "0"
	if nsp != "/" {
		s += nsp + ","
	}
	if len(auth) > 0 {
		var b bytes.Buffer
		if json.Compact(&b, auth) == nil {
			s += b.String()
		}
	}
	return []byte(s)
}

// authQuery flattens an auth object into a protocol 4 namespace query.
func authQuery(auth json.RawMessage) string {
	if len(auth) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(auth, &m) != nil {
		return ""
	}
	q := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			q.Set(k, v)
		default:
			b, _ := json.Marshal(v)
			q.Set(k, string(b))
		}
	}
	return q.Encode()
}

// firstPost is what a client POSTs first: the CONNECT (protocol 5), or a
// ping for EIO3, where "/" is joined without asking.
func firstPost(o Options, v eio.Version) eio.Packet {
	if v == eio.V3 && o.Nsp == "/" {
		return eio.Packet{Type: eio.Ping, Data: []byte("probe")}
	}
	return eio.Packet{Type: eio.Message, Data: connectData(o.Nsp, o.Auth, v)}
}

// connectAnswer is the server's answer to a CONNECT.
type connectAnswer struct {
	ok      bool
	sid     string
	message string
	data    string
	raw     string
}

// awaitConnect reads the session until the CONNECT or CONNECT_ERROR for
// nsp arrives, answering pings on the way.
func (s *session) awaitConnect(ctx context.Context, nsp string) (*connectAnswer, *exchange, error) {
	proto := 5
	if s.v == eio.V3 {
		proto = 4
	}
	dec := sio.NewDecoder(proto)
	deadline := time.Now().Add(s.d.opts.Timeout)
	var last *exchange
	for time.Now().Before(deadline) {
		ps, x, err := s.recv(ctx, time.Until(deadline))
		if x != nil {
			last = x
		}
		if err != nil {
			return nil, last, err
		}
		for _, p := range ps {
			switch p.Type {
			case eio.Ping:
				if s.v == eio.V4 {
					s.send(ctx, eio.Packet{Type: eio.Pong})
				}
				continue
			case eio.Close:
				return nil, last, fmt.Errorf("the server closed the session")
			case eio.Message:
			default:
				continue
			}
			if p.Binary {
				continue
			}
			sp, err := dec.Text(p.Data)
			if err != nil || sp == nil || sp.Nsp != nsp {
				continue
			}
			switch sp.Type {
			case sio.Connect:
				ci, _ := sio.ParseConnect(sp)
				return &connectAnswer{ok: true, sid: ci.Sid, raw: "4" + string(p.Data)}, last, nil
			case sio.ConnectError:
				ce, _ := sio.ParseConnectError(sp)
				return &connectAnswer{message: ce.Message, data: string(ce.Data), raw: "4" + string(p.Data)}, last, nil
			}
		}
	}
	return nil, last, fmt.Errorf("no CONNECT answer within %v", s.d.opts.Timeout)
}

// probeNamespace CONNECTs to --nsp with --auth (FAULTS.md G1, G2).
func (d *doctor) probeNamespace(ctx context.Context, e *engine) {
	p := d.probe(LayerNamespace, "CONNECT "+esc(d.opts.Nsp))
	s, x, err := d.newSession(ctx, e, nil)
	if err != nil {
		p.exchange(x)
		p.fail("no session to CONNECT on: %s", esc(err.Error()))
		if errorsIsSessionUnknown(x) {
			p.fault(diagnose.CodeSessionUnknownLive)
		}
		return
	}
	defer s.close(ctx)
	pk := eio.Packet{Type: eio.Message, Data: connectData(d.opts.Nsp, d.opts.Auth, e.v)}
	if e.v == eio.V3 && d.opts.Nsp == "/" {
		// Protocol 4 joins "/" by itself: its "40" comes unasked.
		p.Request = "(EIO3 joins / without a CONNECT)"
	} else {
		px, err := s.send(ctx, pk)
		p.Request = "send 4" + esc(string(pk.Data))
		if px != nil {
			p.Request = px.request() + "  body: 4" + esc(string(pk.Data))
		}
		if err != nil {
			p.Response = esc(err.Error())
			p.fail("the CONNECT was not accepted: %s", esc(err.Error()))
			if errorsIsSessionUnknown(px) {
				p.fault(diagnose.CodeSessionUnknownLive)
			}
			return
		}
	}
	a, gx, err := s.awaitConnect(ctx, d.opts.Nsp)
	if err != nil {
		if gx != nil {
			p.Response = gx.response()
		} else {
			p.Response = esc(err.Error())
		}
		p.fail("no answer to the CONNECT for %s: %s", esc(d.opts.Nsp), esc(err.Error()))
		if errorsIsSessionUnknown(gx) {
			p.fault(diagnose.CodeSessionUnknownLive)
		} else {
			p.Fault = "G3"
		}
		return
	}
	p.Response = esc(a.raw)
	switch {
	case a.ok && a.sid == "" && e.v == eio.V4:
		p.fail("CONNECT answered without a sid (%s): a Socket.IO 2.x server answering a v3+ client", esc(a.raw)).fault(diagnose.CodeV2Server)
	case a.ok && a.sid == "":
		p.pass("connected to %s", esc(d.opts.Nsp))
	case a.ok:
		p.pass("connected to %s (socket id %s)", esc(d.opts.Nsp), esc(a.sid))
	case a.message == "Invalid namespace":
		p.fail("%s refused: \"Invalid namespace\": the server does not declare it", esc(d.opts.Nsp)).fault(diagnose.CodeNamespaceInvalid)
		p.Fix = fmt.Sprintf("Declare it on the server (`io.of(%q)`), or, if %s is a URL path, pass it as the client's `path` option (doctor: --path).", d.opts.Nsp, esc(d.opts.Nsp))
	default:
		p.fail("%s refused by a middleware: message %q, data %s", esc(d.opts.Nsp), esc(a.message), dataText(a.data)).fault(diagnose.CodeMiddlewareRefused)
		p.Fix = fmt.Sprintf("The namespace middleware said %q (data %s) to auth %s: send what it checks (--auth '{\"token\":…}'); a refused client does not retry by itself and must call socket.connect() again.", esc(a.message), dataText(a.data), authText(d.opts.Auth))
	}
}

func dataText(s string) string {
	if s == "" {
		return "none"
	}
	return esc(clip(s, 200))
}

func authText(a json.RawMessage) string {
	if len(a) == 0 {
		return "none"
	}
	var m map[string]any
	json.Unmarshal(a, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "{" + esc(strings.Join(keys, ",")) + "}"
}

// errorsIsSessionUnknown tells an answer "Session ID unknown" (code 1).
func errorsIsSessionUnknown(x *exchange) bool {
	return x != nil && x.Status == 400 && strings.Contains(string(x.Body), "Session ID unknown")
}
