package proxy

import "net/url"

// fwdUpstream is the origin a forward-mode request goes to.
type fwdUpstream struct {
	base string // scheme://host[:port], as Upstream in observations
	host string // host[:port], as TLSEvent.Host
}

func newFwdUpstream(u *url.URL) *fwdUpstream {
	return &fwdUpstream{base: u.Scheme + "://" + u.Host, host: u.Host}
}

// upstreamOf is the base URL of the upstream that serves x: its target in
// reverse mode, its origin in forward mode.
func (p *Proxy) upstreamOf(x *exchange) string {
	if x.fwd != nil {
		return x.fwd.base
	}
	return p.targets[x.target]
}

// upstreamHost is the host[:port] of the upstream that serves x.
func (p *Proxy) upstreamHost(x *exchange) string {
	if x.fwd != nil {
		return x.fwd.host
	}
	return p.opts.Targets[x.target].Host
}
