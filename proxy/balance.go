package proxy

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// maxSids bounds the sticky balancer's sid table; the oldest sid is
// forgotten first (a session that old has long been pinned by its cookie
// or is gone).
const maxSids = 1 << 16

// balancer chooses the upstream of each request.
type balancer struct {
	n      int
	sticky bool
	paths  []string
	next   atomic.Uint64

	mu    sync.Mutex
	sids  map[string]int
	order []string // ring of remembered sids, oldest at head
	head  int
}

// newBalancer returns a balancer over n targets. learn makes a
// non-sticky balancer learn sids too (reroute-sid needs each session's
// origin).
func newBalancer(n int, sticky, learn bool, paths []string) *balancer {
	b := &balancer{n: n, sticky: sticky && n > 1, paths: paths}
	if b.sticky || (learn && n > 1) {
		b.sids = make(map[string]int)
	}
	return b
}

// wantsSid reports whether the balancer learns sids (sticky, several
// targets).
func (b *balancer) wantsSid() bool { return b.sids != nil }

// origin returns the target that created session sid, if learned.
func (b *balancer) origin(sid string) (int, bool) {
	if b.sids == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.sids[sid]
	return i, ok
}

// isEngine reports whether path is under one of the Engine.IO paths.
func (b *balancer) isEngine(path string) bool {
	for _, p := range b.paths {
		if strings.HasPrefix(path, p) || path == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}

// pick returns the target index for r and whether the response must set
// the sticky cookie.
func (b *balancer) pick(r *http.Request) (int, bool) {
	if b.n == 1 {
		return 0, false
	}
	if !b.sticky {
		return b.roundRobin(), false
	}
	if b.isEngine(r.URL.Path) {
		if sid := eio.SidParam(r.URL.RawQuery); sid != "" {
			b.mu.Lock()
			i, ok := b.sids[sid]
			b.mu.Unlock()
			if ok {
				return i, false
			}
		}
	}
	if c, err := r.Cookie(StickyCookie); err == nil {
		if i, err := strconv.Atoi(c.Value); err == nil && i >= 0 && i < b.n {
			return i, false
		}
	}
	return b.roundRobin(), true
}

func (b *balancer) roundRobin() int {
	return int((b.next.Add(1) - 1) % uint64(b.n))
}

// remember pins sid to target i.
func (b *balancer) remember(sid string, i int) {
	if b.sids == nil || sid == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.sids[sid]; ok {
		b.sids[sid] = i
		return
	}
	if len(b.order) < maxSids {
		b.order = append(b.order, sid)
	} else {
		delete(b.sids, b.order[b.head])
		b.order[b.head] = sid
		b.head = (b.head + 1) % maxSids
	}
	b.sids[sid] = i
}

func stickyCookie(i int) string {
	return (&http.Cookie{Name: StickyCookie, Value: strconv.Itoa(i), Path: "/", HttpOnly: true}).String()
}

// hasSid reports whether a raw query carries a non-empty sid parameter.
func hasSid(rawQuery string) bool { return eio.SidParam(rawQuery) != "" }

// sniffLimit bounds how much of a response is searched for the handshake;
// an Engine.IO open packet is about 120 bytes.
const sniffLimit = 512

var sidKey = []byte(`"sid":"`)

// sniffSid finds the sid in an Engine.IO open packet at the start of b: v4
// `0{"sid":"…`, v3 text payload `<n>:0{"sid":…`, or v3 binary payload
// `\x00<digits>\xff0{…`. more is true when b is a plausible prefix that
// needs more bytes.
func sniffSid(b []byte) (sid string, more bool) {
	if len(b) > sniffLimit {
		b = b[:sniffLimit]
	}
	rest := b
	switch {
	case len(rest) == 0:
		return "", true
	case rest[0] >= '1' && rest[0] <= '9': // v3 text: length prefix
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == len(rest) {
			return "", len(b) < sniffLimit
		}
		if rest[i] != ':' {
			return "", false
		}
		rest = rest[i+1:]
	case rest[0] == 0x00: // v3 binary payload, string packet
		i := 1
		for i < len(rest) && rest[i] <= 9 {
			i++
		}
		if i == len(rest) {
			return "", len(b) < sniffLimit
		}
		if rest[i] != 0xff {
			return "", false
		}
		rest = rest[i+1:]
	}
	if len(rest) < 2 {
		return "", len(b) < sniffLimit
	}
	if rest[0] != '0' || rest[1] != '{' {
		return "", false
	}
	k := bytes.Index(rest, sidKey)
	if k < 0 {
		return "", len(b) < sniffLimit
	}
	v := rest[k+len(sidKey):]
	end := bytes.IndexByte(v, '"')
	if end < 0 {
		return "", len(b) < sniffLimit
	}
	return string(v[:end]), false
}
