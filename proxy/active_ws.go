package proxy

import (
	"io"
	"net/http"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// activate hands the connection to the active layer (Options.Active). The
// relay then passes every chunk it reads to it; the tap keeps observing
// exactly what each receiver is sent.
func (rl *relay) activate(resp *http.Response) {
	t := rl.tap
	rl.act = rl.p.opts.Active.OpenWS(active.WSConfig{
		ID:         rl.id,
		Client:     rl.x.client,
		URL:        rl.x.uri,
		Extensions: resp.Header.Get("Sec-WebSocket-Extensions"),
		TapParser:  func(dir decode.Dir) *ws.Parser { return t.dirs[dir].parser },
		Observe: func(dir decode.Dir, b []byte, a *obs.Active) {
			t.feedMarked(dir, b, a, rl.seq.Add(1))
		},
		Push:     rl.p.push,
		Write:    [2]io.Writer{rl.upstream, rl.client},
		Teardown: rl.teardown,
	})
	for i := range t.dirs {
		t.dirs[i].act = rl.act
	}
}

// refuseUpgrade runs the active layer's UpgradeHooks; when one refuses, it
// answers the client itself (the upstream never sees the request) and
// reports the exchange with the rule that refused it.
func (p *Proxy) refuseUpgrade(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	_, rawq, _ := strings.Cut(x.uri, "?")
	q := eio.ParseQuery(rawq)
	u := &active.Upgrade{Request: r, Sid: q.Sid, EIO: q.Version()}
	p.opts.Active.OnUpgrade(u)
	status, body, rule, ok := u.Refused()
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
	end := p.opts.Now()
	p.exchanges.Add(1)
	p.push(obs.Obs{Kind: obs.KindHTTP, Time: end, HTTP: &obs.HTTPExchange{
		ID: x.id, Client: x.client, Upstream: p.upstreamOf(x), Start: x.start, End: end,
		Method: x.method, URL: x.uri, Host: x.host, Proto: x.proto, ReqHeader: x.reqHeader,
		Status: status, RespHeader: w.Header().Clone(), RespBody: []byte(body), RespLen: int64(len(body)),
		Active: &obs.Active{Rules: []string{rule}, Note: "upgrade refused by sioproxy"},
	}})
	return true
}
