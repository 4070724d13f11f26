package proxy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// The active polling relay. While the active layer wants a polling
// session (a hook is registered, or something is queued or awaited), its
// requests are relayed here instead of by ReverseProxy: bodies are read
// whole (polls are small, capped by maxHttpBufferSize), decoded, offered
// to the hooks packet by packet, and re-encoded when something changed.
// engine.io allows one GET and one POST in flight per session, so:
//   - sioproxy keeps at most one upstream GET; the client's GET waits for
//     its packets or for injected ones, whichever come first, and packets
//     the upstream sends later wait for the client's next GET;
//   - client POSTs and sioproxy's own POSTs (injected client packets while
//     the client sends nothing) take turns.

// maxPollBody caps a polling body read whole on the active path.
const maxPollBody = 64 << 20

// pollUpstreamTimeout bounds sioproxy's own upstream GET: longer than any
// pingInterval + pingTimeout a server would use.
const pollUpstreamTimeout = 5 * time.Minute

// pollRelay is the proxy's state of one active polling session.
type pollRelay struct {
	p  *Proxy
	pl *active.Poll

	getRunning atomic.Bool
	postMu     sync.Mutex // one POST upstream at a time

	mu   sync.Mutex
	tmpl *http.Request // the client's last request, for sioproxy's own POSTs
	x    *exchange     // its exchange: target and client
	hdr  http.Header   // the upstream's last 200 answer headers
	fail *pollAnswer   // an upstream answer to relay as is (error status)
}

type pollAnswer struct {
	status int
	header http.Header
	body   []byte
	end    bool
	mark   *obs.Active
}

// pollSession returns the active polling session of r, or nil when r
// takes the transparent path.
func (p *Proxy) pollSession(r *http.Request, x *exchange) (*active.Poll, *pollRelay) {
	raw := r.URL.RawQuery
	if !strings.Contains(raw, "sid=") || !strings.Contains(raw, "transport=polling") {
		return nil, nil
	}
	q := eio.ParseQuery(raw)
	if q.Sid == "" || q.HasJSONP || q.Transport != "polling" {
		return nil, nil
	}
	var rel *pollRelay
	pl := p.opts.Active.Polling(q.Sid, q.Version(), x.client, pollWire{p})
	rel = pl.RelayState(func() any { return &pollRelay{p: p, pl: pl} }).(*pollRelay)
	rel.mu.Lock()
	rel.tmpl, rel.x = r, x
	rel.mu.Unlock()
	if !pl.Active() && !rel.getRunning.Load() {
		return nil, nil
	}
	return pl, rel
}

type pollWire struct{ p *Proxy }

// PostNow sends injected client packets in sioproxy's own POST.
func (w pollWire) PostNow(pl *active.Poll) {
	rel, _ := pl.Relay.(*pollRelay)
	if rel == nil {
		return
	}
	rel.postMu.Lock()
	defer rel.postMu.Unlock()
	ps, mark := pl.Take(decode.C2S)
	if len(ps) == 0 {
		return
	}
	rel.mu.Lock()
	tmpl, x := rel.tmpl, rel.x
	rel.mu.Unlock()
	if tmpl == nil {
		pl.Unshift(decode.C2S, ps, mark)
		return
	}
	body, ct := encodePoll(pl.Conn().EIO, ps, tmpl, false)
	ctx, cancel := context.WithTimeout(context.Background(), pollUpstreamTimeout)
	defer cancel()
	own := &exchange{id: rel.p.ids.Add(1), start: rel.p.opts.Now(), client: x.client, method: http.MethodPost,
		uri: tmpl.URL.RequestURI(), host: x.host, proto: x.proto, reqHeader: tmpl.Header.Clone(), target: x.target, fwd: x.fwd}
	resp, rbody, err := rel.roundTrip(ctx, tmpl, own, http.MethodPost, body, ct)
	ex := rel.observed(own, body, resp, rbody, err, mark)
	ex.ReqHeader.Set("Content-Type", ct)
	rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

// servePoll relays one request of an active polling session.
func (p *Proxy) servePoll(w http.ResponseWriter, r *http.Request, x *exchange, pl *active.Poll, rel *pollRelay) {
	if r.Method == http.MethodPost {
		rel.post(w, r, x)
		return
	}
	rel.get(w, r, x)
}

// get answers the client's GET with queued packets, fetching from the
// upstream (one GET at a time) until there are some.
func (rel *pollRelay) get(w http.ResponseWriter, r *http.Request, x *exchange) {
	pl := rel.pl
	if ax := (&active.Exchange{Dir: decode.S2C, Request: r}); pl.OnRequest(ax) {
		rel.answer(w, r, x, nil, ax)
		return
	}
	for {
		wake := pl.Notify()
		ps, mark := pl.Take(decode.S2C)
		if len(ps) > 0 {
			body, ct := encodePoll(pl.Conn().EIO, ps, r, true)
			h := rel.answerHeader(ct, len(body))
			for k, vv := range h {
				w.Header()[k] = vv
			}
			w.WriteHeader(http.StatusOK)
			if _, err := w.Write(body); err != nil {
				// The client is gone; keep the packets for its next GET.
				pl.Unshift(decode.S2C, ps, mark)
				return
			}
			rel.pushClient(x, r, nil, http.StatusOK, h, body, mark)
			for _, p := range ps {
				if p.Type == eio.Close {
					pl.End()
				}
			}
			return
		}
		rel.mu.Lock()
		fail := rel.fail
		rel.fail = nil
		rel.mu.Unlock()
		if fail != nil {
			for k, vv := range fail.header {
				w.Header()[k] = vv
			}
			w.WriteHeader(fail.status)
			w.Write(fail.body)
			rel.pushClient(x, r, nil, fail.status, fail.header, fail.body, fail.mark)
			if fail.end {
				pl.End()
			}
			return
		}
		if rel.getRunning.CompareAndSwap(false, true) {
			go rel.upstreamGet(r, x)
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		}
	}
}

// upstreamGet is sioproxy's GET to the upstream, independent of the
// client's request so that its answer is never lost: the packets wait in
// the queue for the client's next GET.
func (rel *pollRelay) upstreamGet(r *http.Request, x *exchange) {
	defer rel.getRunning.Store(false)
	defer rel.pl.Wake()
	ctx, cancel := context.WithTimeout(context.Background(), pollUpstreamTimeout)
	defer cancel()
	resp, body, err := rel.roundTrip(ctx, r, x, http.MethodGet, nil, "")
	if err == nil {
		ax := &active.Exchange{Dir: decode.S2C, Request: r, Status: resp.StatusCode, Header: resp.Header.Clone(), Body: body}
		if rel.pl.OnResponse(ax) {
			rel.setFail(&pollAnswer{status: ax.Status, header: ax.Header, body: ax.Body, mark: ax.Mark()})
			return
		}
	}
	if err != nil {
		rel.setFail(&pollAnswer{status: http.StatusBadGateway, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			body: []byte(upstreamErrorText(rel.p.upstreamOf(x), err) + "\n"), end: true})
		return
	}
	if resp.StatusCode != http.StatusOK {
		rel.setFail(&pollAnswer{status: resp.StatusCode, header: cleanHeader(resp.Header), body: body, end: true})
		return
	}
	plain, err := eio.Inflate(body, resp.Header.Get("Content-Encoding"), maxPollBody)
	var ps []eio.Packet
	if err == nil {
		ps, err = eio.DecodePayload(rel.pl.Conn().EIO, plain, resp.Header.Get("Content-Type"))
	}
	if err != nil {
		// Not ours to understand: relay it as it came.
		rel.setFail(&pollAnswer{status: resp.StatusCode, header: cleanHeader(resp.Header), body: body})
		return
	}
	rel.mu.Lock()
	rel.hdr = cleanHeader(resp.Header)
	rel.mu.Unlock()
	out, mark, gone, goneMark := rel.pl.Filter(decode.S2C, ps)
	if len(gone) > 0 {
		// What the client will never get is shown once, as the server
		// sent it, marked.
		rel.pushGone(x, r, decode.S2C, gone, goneMark)
	}
	rel.pl.Queue(decode.S2C, out, mark)
}

// pushGone observes packets that were not forwarded (dropped, consumed)
// as an exchange of their own that carries only them.
func (rel *pollRelay) pushGone(x *exchange, r *http.Request, dir decode.Dir, ps []eio.Packet, mark *obs.Active) {
	body, _ := encodePoll(rel.pl.Conn().EIO, ps, r, false)
	gx := *x
	gx.id = rel.p.ids.Add(1)
	var ex *obs.HTTPExchange
	if dir == decode.S2C {
		gx.method = http.MethodGet
		ex = rel.observed(&gx, nil, &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/plain; charset=UTF-8"}}}, body, nil, mark)
	} else {
		gx.method = http.MethodPost
		ex = rel.observed(&gx, body, &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}}}, []byte("ok"), nil, mark)
	}
	ex.ReqBody = capBody(ex.ReqBody, rel.p.opts.BodyCap)
	rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

func (rel *pollRelay) setFail(a *pollAnswer) {
	rel.mu.Lock()
	rel.fail = a
	rel.mu.Unlock()
}

// post relays the client's POST, its packets filtered, with injected
// client packets appended.
func (rel *pollRelay) post(w http.ResponseWriter, r *http.Request, x *exchange) {
	pl := rel.pl
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPollBody+1))
	if err != nil {
		return // the client is gone
	}
	if ax := (&active.Exchange{Dir: decode.C2S, Request: r, ReqBody: body}); pl.OnRequest(ax) {
		rel.answer(w, r, x, body, ax)
		return
	}
	ps, derr := eio.DecodePayload(pl.Conn().EIO, body, r.Header.Get("Content-Type"))
	var mark *obs.Active
	out := ps
	if derr == nil && len(body) <= maxPollBody {
		var gone []eio.Packet
		var goneMark *obs.Active
		out, mark, gone, goneMark = pl.Filter(decode.C2S, ps)
		if len(gone) > 0 {
			rel.pushGone(x, r, decode.C2S, gone, goneMark)
		}
		if len(gone) > 0 && mark == nil {
			mark = &obs.Active{Note: "some packets not forwarded"}
		}
	}
	rel.postMu.Lock()
	defer rel.postMu.Unlock()
	inj, imark := pl.Take(decode.C2S)
	mark = active.MergeMark(mark, imark)
	send := body
	ct := r.Header.Get("Content-Type")
	if mark != nil || len(inj) > 0 {
		out = append(out, inj...)
		if len(out) == 0 {
			// Nothing left for the server: answer as engine.io does.
			h := http.Header{"Content-Type": {"text/html"}, "Content-Length": {"2"}}
			for k, vv := range h {
				w.Header()[k] = vv
			}
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "ok")
			// Observed as what reached the server, as when packets are
			// forwarded (send): nothing. The dropped ones were observed by
			// pushGone; decoding them here too would count a dropped pong
			// as delivered (--inject drop-pongs on polling).
			rel.pushClient(x, r, nil, http.StatusOK, h, []byte("ok"), mark)
			return
		}
		send, ct = encodePoll(pl.Conn().EIO, out, r, false)
	}
	rel.pushStart(x, send, mark) // active_poll_start.go
	resp, rbody, err := rel.roundTrip(r.Context(), r, x, http.MethodPost, send, ct)
	if err != nil {
		rel.p.errorHandler(w, r, err)
		ex := rel.observed(x, send, nil, nil, err, mark)
		rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
		return
	}
	if ax := (&active.Exchange{Dir: decode.C2S, Request: r, ReqBody: send, Status: resp.StatusCode, Header: resp.Header.Clone(), Body: rbody}); pl.OnResponse(ax) {
		ex := rel.observed(x, send, resp, rbody, nil, active.MergeMark(mark, ax.Mark()))
		rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
		rel.answer(w, r, x, nil, ax)
		return
	}
	h := cleanHeader(resp.Header)
	for k, vv := range h {
		w.Header()[k] = vv
	}
	w.Header().Set("Content-Length", itoa(len(rbody)))
	w.WriteHeader(resp.StatusCode)
	w.Write(rbody)
	ex := rel.observed(x, send, resp, rbody, nil, mark)
	rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

// roundTrip sends method with body to the upstream of x, shaped like the
// client's request r, and reads the whole answer.
func (rel *pollRelay) roundTrip(ctx context.Context, r *http.Request, x *exchange, method string, body []byte, ct string) (*http.Response, []byte, error) {
	p := rel.p
	out := r.Clone(context.WithValue(ctx, exchangeKey{}, x))
	out.Method = method
	out.RequestURI = ""
	out.Close = false
	out.Body, out.ContentLength = nil, 0
	out.Header.Del("Content-Length")
	if body != nil {
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if ct != "" {
			out.Header.Set("Content-Type", ct)
		}
	}
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		out.Header.Del(h)
	}
	in := r.Clone(out.Context()) // SetURL reads In only for the path join
	p.rewrite(&httputil.ProxyRequest{In: in, Out: out})
	p.active.Add(1)
	defer p.active.Add(-1)
	resp, err := p.opts.Transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPollBody))
	if err != nil {
		return nil, nil, err
	}
	p.bytesC2S.Add(uint64(len(body)))
	p.bytesS2C.Add(uint64(len(b)))
	return resp, b, nil
}

// answerHeader is the header of a GET answer sioproxy composes: the
// upstream's last one (CORS, cookies) with the new body's type and length.
func (rel *pollRelay) answerHeader(ct string, n int) http.Header {
	rel.mu.Lock()
	h := rel.hdr.Clone()
	rel.mu.Unlock()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Content-Encoding")
	h.Set("Content-Type", ct)
	h.Set("Content-Length", itoa(n))
	return h
}

func cleanHeader(h http.Header) http.Header {
	h = h.Clone()
	for _, k := range hopHeaders {
		h.Del(k)
	}
	h.Del("Content-Length")
	return h
}

// encodePoll encodes packets as a polling body: v4 records, or for v3 the
// length-prefixed text form (binary as base64) unless the client takes
// XHR2 binary (a GET without b64=1 answered with binary packets, or a POST
// that came in binary form).
func encodePoll(v eio.Version, ps []eio.Packet, r *http.Request, answer bool) ([]byte, string) {
	const text = "text/plain; charset=UTF-8"
	if v != eio.V3 {
		return eio.EncodePayloadV4(ps), text
	}
	xhr2 := false
	if answer {
		if !strings.Contains(r.URL.RawQuery, "b64=") {
			for _, p := range ps {
				xhr2 = xhr2 || p.Binary
			}
		}
	} else {
		mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		xhr2 = strings.EqualFold(strings.TrimSpace(mt), "application/octet-stream")
	}
	if xhr2 {
		return eio.EncodePayloadV3(ps, true), "application/octet-stream"
	}
	return eio.EncodePayloadV3(ps, false), text
}

// observed describes an exchange on the active path as the decoder should
// see it: what the upstream got and what came back.
func (rel *pollRelay) observed(x *exchange, reqBody []byte, resp *http.Response, respBody []byte, err error, mark *obs.Active) *obs.HTTPExchange {
	p := rel.p
	ex := &obs.HTTPExchange{ID: x.id, Client: x.client, Upstream: p.upstreamOf(x), Start: x.start, End: p.opts.Now(),
		Method: x.method, URL: x.uri, Host: x.host, Proto: x.proto, ReqHeader: x.reqHeader,
		ReqBody: capBody(reqBody, p.opts.BodyCap), ReqLen: int64(len(reqBody)), ReqTrunc: len(reqBody) > p.opts.BodyCap,
		Active: mark}
	if resp != nil {
		ex.Status = resp.StatusCode
		ex.RespHeader = resp.Header.Clone()
		ex.RespBody, ex.RespLen, ex.RespTrunc = capBody(respBody, p.opts.BodyCap), int64(len(respBody)), len(respBody) > p.opts.BodyCap
	}
	if err != nil {
		kind, _ := classify(err)
		ex.Err, ex.ErrKind = err.Error(), kind
	}
	p.exchanges.Add(1)
	return ex
}

// pushClient observes an answer sioproxy gave the client itself.
func (rel *pollRelay) pushClient(x *exchange, r *http.Request, reqBody []byte, status int, h http.Header, body []byte, mark *obs.Active) {
	ex := rel.observed(x, reqBody, &http.Response{StatusCode: status, Header: h}, body, nil, mark)
	rel.p.push(obs.Obs{Kind: obs.KindHTTP, Time: ex.End, HTTP: ex})
}

func capBody(b []byte, max int) []byte {
	if len(b) > max {
		b = b[:max]
	}
	return bytes.Clone(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

// answer writes an answer an ExchangeHook gave and observes it.
func (rel *pollRelay) answer(w http.ResponseWriter, r *http.Request, x *exchange, reqBody []byte, ax *active.Exchange) {
	h := cleanHeader(ax.Header)
	h.Set("Content-Length", itoa(len(ax.Body)))
	for k, vv := range h {
		w.Header()[k] = vv
	}
	w.WriteHeader(ax.Status)
	w.Write(ax.Body)
	rel.pushClient(x, r, reqBody, ax.Status, h, ax.Body, ax.Mark())
}
