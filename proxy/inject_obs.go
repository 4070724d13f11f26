package proxy

import (
	"sync"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// injected pushes the observation of a fault the proxy staged, before the
// observation of what it caused, and counts it on the rule.
func (p *Proxy) injected(e *inject.Entry, action, detail string, x *exchange, conn uint64, dir decode.Dir) {
	e.Hit()
	in := &obs.Inject{Rule: e.Text, Action: action, Detail: detail, Conn: conn, Dir: dir}
	if x != nil {
		in.Client, in.URL = x.client, x.uri
		if conn == 0 {
			in.Exchange = x.id
		}
	}
	p.push(obs.Obs{Kind: obs.KindInject, Time: p.opts.Now(), Inject: in})
}

// injectedOnce is injected for rules that act on every request of a
// session (strip-cors, delay, bandwidth): one observation per rule and
// sid is enough to mark the session, and the output stays readable. A
// request without sid (a handshake) is always reported.
func (p *Proxy) injectedOnce(e *inject.Entry, action, detail string, x *exchange) {
	sid := eio.SidParam(queryOf(x.uri))
	if sid != "" && !p.onceSeen.first(e.Text+"\x00"+sid) {
		return
	}
	p.injected(e, action, detail, x, 0, 0)
}

func queryOf(uri string) string {
	for i := 0; i < len(uri); i++ {
		if uri[i] == '?' {
			return uri[i+1:]
		}
	}
	return ""
}

// seenSet is a bounded set of keys; when full it starts over, which only
// repeats an inject line.
type seenSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

const maxSeen = 1 << 14

func (s *seenSet) first(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return false
	}
	if s.m == nil || len(s.m) >= maxSeen {
		s.m = make(map[string]struct{})
	}
	s.m[key] = struct{}{}
	return true
}
