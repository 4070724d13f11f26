package diagnose

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// Duplicate sessions (L3): one client (same address and the same auth or
// cookie) holding two live Engine.IO sessions on one namespace, the cause
// of most "duplicate events after reconnect" reports.

// maxSameIdentity: more live sessions than this with one identity look
// like many clients behind one address sharing a token, not one client
// that connected twice.
const maxSameIdentity = 4

type dupPair struct {
	older, newer, nsp, key string
	since                  time.Time
}

// dupWatch follows a confirmed pair's server events to tell whether the
// wire carries each event twice.
type dupWatch struct {
	pair   dupPair
	recent map[string]dupSeen // event name + args → where and when
	twins  int
}

type dupSeen struct {
	sid string
	at  time.Time
}

type dupState struct {
	byKey   map[string][]string
	pending map[string]*dupPair // by the older session's sid
	watch   map[string]*dupWatch
}

// clientIdentity is what makes two sessions the same client: the host, the
// CONNECT auth without the recovery fields, and the handshake cookies
// without Engine.IO's own. "" when neither auth nor cookie says anything.
func clientIdentity(s *session.Session, ns *session.Namespace) string {
	auth := strings.TrimSpace(string(ns.Auth))
	if ns.RecoverPid != "" {
		var m map[string]json.RawMessage
		if json.Unmarshal(ns.Auth, &m) == nil {
			delete(m, "pid")
			delete(m, "offset")
			b, _ := json.Marshal(m)
			auth = string(b)
		}
	}
	if auth == "{}" || auth == "null" {
		auth = ""
	}
	if auth == "" && ns.Query != "" {
		auth = ns.Query
	}
	var cookie string
	switch {
	case s.Handshake != nil && s.Handshake.ReqHeader != nil:
		cookie = s.Handshake.ReqHeader.Get("Cookie")
	case s.HandshakeWS != nil && s.HandshakeWS.Open != nil && s.HandshakeWS.Open.ReqHeader != nil:
		cookie = s.HandshakeWS.Open.ReqHeader.Get("Cookie")
	}
	var keep []string
	for part := range strings.SplitSeq(cookie, ";") {
		part = strings.TrimSpace(part)
		if part != "" && !strings.HasPrefix(part, "io=") {
			keep = append(keep, part)
		}
	}
	if auth == "" && len(keep) == 0 {
		return ""
	}
	return hostOf(s.Client) + "|" + auth + "|" + strings.Join(keep, ";")
}

// dupConnected runs on the server's CONNECT: a second live session of the
// same client on this namespace becomes a candidate, confirmed once the
// older one shows it is still alive.
func (e *Engine) dupConnected(ev *event.Event, s *session.Session, ss *sidState) {
	ns := s.Namespace(ev.Nsp)
	if ns == nil || ns.Recovery == "recovered" {
		return
	}
	id := clientIdentity(s, ns)
	if id == "" {
		return
	}
	d := &e.dup
	if d.byKey == nil {
		d.byKey = make(map[string][]string)
		d.pending = make(map[string]*dupPair)
		d.watch = make(map[string]*dupWatch)
	}
	key := id + "|" + ev.Nsp
	live := slices.DeleteFunc(d.byKey[key], func(sid string) bool {
		o := e.sids[sid]
		if o == nil || o.s.Closed || sid == s.Sid {
			return true
		}
		n := o.s.Namespace(ev.Nsp)
		return n == nil || n.State != "connected"
	})
	if len(d.byKey) >= e.opts.MaxSessions && d.byKey[key] == nil {
		clear(d.byKey) // sessions forgotten without an end leave keys behind
	}
	if len(live) < maxSameIdentity*4 {
		d.byKey[key] = append(live, s.Sid)
		if len(ss.dupKeys) < 8 {
			ss.dupKeys = append(ss.dupKeys, key)
		}
	}
	if len(live) == 0 || len(live) >= maxSameIdentity {
		return
	}
	older := live[len(live)-1]
	if _, ok := d.pending[older]; !ok && d.watch[older] == nil {
		d.pending[older] = &dupPair{older: older, newer: s.Sid, nsp: ev.Nsp, key: key, since: ev.TS}
	}
}

// dupAlive confirms a candidate: the older session sent a heartbeat after
// the newer one connected, so the client holds both.
func (e *Engine) dupAlive(ev *event.Event, s *session.Session, emit func(event.Event)) {
	d := &e.dup
	p := d.pending[s.Sid]
	if p == nil || !ev.TS.After(p.since) {
		return
	}
	delete(d.pending, s.Sid)
	newer := e.sids[p.newer]
	if newer == nil || newer.s.Closed {
		return
	}
	live := 0
	for _, sid := range d.byKey[p.key] {
		if o := e.sids[sid]; o != nil && !o.s.Closed {
			live++
		}
	}
	if live > maxSameIdentity-1 {
		return // many clients sharing one identity since
	}
	w := &dupWatch{pair: *p, recent: make(map[string]dupSeen)}
	d.watch[p.older], d.watch[p.newer] = w, w
	e.report(e.dupFinding(w, s, newer.s, ev.TS), emit)
}

func (e *Engine) dupFinding(w *dupWatch, older, newer *session.Session, at time.Time) finding {
	p := w.pair
	who := hostOf(older.Client)
	if ns := older.Namespace(p.nsp); ns != nil && len(ns.Auth) > 0 {
		who += " with auth " + clip(string(ns.Auth), 60)
	} else {
		who += " with the same cookies"
	}
	f := finding{
		code: CodeDuplicateSession, sid: newer.Sid, client: newer.Client, at: at, key: hostOf(older.Client) + "|" + p.nsp,
		summary: fmt.Sprintf("One client (%s) holds two live sessions on %s: %s (opened %s) and %s (opened %s), and both still answer heartbeats, so every event sent to this user crosses the wire twice",
			who, p.nsp, older.Sid, older.Opened.Format("15:04:05.000"), newer.Sid, newer.Opened.Format("15:04:05.000")),
		evidence: []string{
			fmt.Sprintf("session %s from %s on %s", older.Sid, older.Client, orNone(older.Upstream)),
			fmt.Sprintf("session %s from %s on %s", newer.Sid, newer.Client, orNone(newer.Upstream)),
		},
	}
	if w.twins > 0 {
		f.summary += fmt.Sprintf("; sioproxy saw %d server events delivered on both sessions (twice on the wire)", w.twins)
		f.refine = true
	}
	return f
}

// dupEvent looks for the same server event on both sessions of a pair.
func (e *Engine) dupEvent(ev *event.Event, s *session.Session, emit func(event.Event)) {
	w := e.dup.watch[s.Sid]
	if w == nil || ev.Nsp != w.pair.nsp {
		return
	}
	k := ev.Event + "\x00" + string(ev.Args)
	if prev, ok := w.recent[k]; ok && prev.sid != s.Sid && ev.TS.Sub(prev.at) <= 2*time.Second {
		delete(w.recent, k)
		w.twins++
		older, newer := e.sids[w.pair.older], e.sids[w.pair.newer]
		if older != nil && newer != nil && (w.twins == 1 || w.twins%10 == 0) {
			f := e.dupFinding(w, older.s, newer.s, ev.TS)
			f.evidence = append(f.evidence, "twice: S→C EVENT "+w.pair.nsp+" "+strconv.Quote(clip(ev.Event, 40)))
			e.report(f, emit)
		}
		return
	}
	if len(w.recent) >= 256 {
		clear(w.recent)
	}
	w.recent[k] = dupSeen{sid: s.Sid, at: ev.TS}
}

// dupClosed forgets an ended session.
func (e *Engine) dupClosed(ss *sidState) {
	d := &e.dup
	if d.byKey == nil {
		return
	}
	sid := ss.s.Sid
	for _, k := range ss.dupKeys {
		l := slices.DeleteFunc(d.byKey[k], func(x string) bool { return x == sid })
		if len(l) == 0 {
			delete(d.byKey, k)
		} else {
			d.byKey[k] = l
		}
	}
	ss.dupKeys = nil
	delete(d.pending, sid)
	for o, p := range d.pending {
		if p.newer == sid {
			delete(d.pending, o)
		}
	}
	if w := d.watch[sid]; w != nil {
		delete(d.watch, w.pair.older)
		delete(d.watch, w.pair.newer)
	}
}
