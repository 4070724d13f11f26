package proxy

import "github.com/sioproxy/sioproxy/internal/obs"

// pushStart observes a POST of the active polling relay on its way
// upstream (obs.KindHTTPStart), as the transparent path does once the body
// is read: its packets (and a parse error in them, --inject corrupt) are
// decoded before the server's reaction — a GET answered with a close
// packet — can overtake the POST's own answer. Added for issue 14; the
// final exchange still carries the same body and id, so it is not decoded
// twice.
func (rel *pollRelay) pushStart(x *exchange, body []byte, mark *obs.Active) {
	p := rel.p
	ex := &obs.HTTPExchange{ID: x.id, Client: x.client, Upstream: p.upstreamOf(x), Start: x.start,
		Method: x.method, URL: x.uri, Host: x.host, Proto: x.proto, ReqHeader: x.reqHeader,
		ReqBody: capBody(body, p.opts.BodyCap), ReqLen: int64(len(body)), ReqTrunc: len(body) > p.opts.BodyCap,
		Active: mark}
	p.push(obs.Obs{Kind: obs.KindHTTPStart, Time: p.opts.Now(), HTTP: ex})
}
