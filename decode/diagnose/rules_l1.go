package diagnose

import (
	"fmt"
	"slices"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// Connection state recovery (L1). A server with connectionStateRecovery
// gives each socket a private id (pid) in its CONNECT answer and appends an
// offset to each event; a reconnecting client sends both back in CONNECT,
// and the server answers with the same pid (recovered, the missed events
// are replayed) or a new one (the state is gone).

// csrRec is one socket's recovery state as sioproxy saw it.
type csrRec struct {
	pid, socketID, sid, nsp, host, upstream string
	lastEvent                               time.Time // last S→C event carrying an offset
	offset                                  string
	closedAt                                time.Time // zero while the session lives
	recoverable                             bool      // ended without a DISCONNECT packet
	claimed                                 bool      // a later session took it up (or was reported)
}

// offsetFeed is the distinct offsets seen S→C on one upstream and
// namespace, for counting the events a client missed.
type offsetFeed struct {
	at   []time.Time
	off  []string
	seen map[string]struct{}
}

const (
	maxCSRRecs   = 20000
	maxFeed      = 1024
	maxCSREnded  = 256
	csrFeedLimit = 1024
)

type csrState struct {
	byPid map[string]*csrRec
	bySid map[string][]*csrRec
	ended []*csrRec // recoverable, not claimed
	feed  map[string]*offsetFeed
	// downAt is when each target last failed to accept a connection.
	downAt map[string]time.Time
}

func (c *csrState) init() {
	if c.byPid == nil {
		c.byPid = make(map[string]*csrRec)
		c.bySid = make(map[string][]*csrRec)
		c.feed = make(map[string]*offsetFeed)
		c.downAt = make(map[string]time.Time)
	}
}

// csrConnect runs on the client's CONNECT: a pid without offset, or no pid
// although the client's previous socket could have been recovered.
func (e *Engine) csrConnect(ev *event.Event, s *session.Session, emit func(event.Event)) {
	ns := s.Namespace(ev.Nsp)
	if ns == nil {
		return
	}
	if ns.RecoverPid != "" {
		if !ns.HasOffset {
			e.report(finding{
				code: CodeCSROffsetMissing, sid: s.Sid, client: s.Client, at: ev.TS, key: hostOf(s.Client) + "|" + ev.Nsp,
				summary: fmt.Sprintf("The client reconnected to %s on session %s with pid %s but no offset: it had received no event since it connected, and socket.io ≤ 4.8 then refuses the recovery (socket.io #5538)",
					ev.Nsp, s.Sid, clip(ns.RecoverPid, 40)),
				evidence: []string{packetLine(ev)},
			}, emit)
		}
		return
	}
	c := &e.csr
	if len(c.ended) == 0 {
		return
	}
	host := hostOf(s.Client)
	for i, r := range c.ended {
		if r.host != host || r.nsp != ev.Nsp || r.claimed || ev.TS.Sub(r.closedAt) > e.opts.CSRMaxDisconnection || ev.TS.Before(r.closedAt) {
			continue
		}
		r.claimed = true
		c.ended = slices.Delete(c.ended, i, i+1)
		e.report(finding{
			code: CodeCSRPidNotSent, sid: s.Sid, client: s.Client, at: ev.TS, key: host + "|" + ev.Nsp,
			summary: fmt.Sprintf("The client's socket on %s (pid %s, session %s) ended %s ago without a DISCONNECT and could have been recovered, but the new CONNECT on session %s sends no pid back: the server starts a new socket and the missed events are lost",
				ev.Nsp, clip(r.pid, 40), r.sid, dur(ev.TS.Sub(r.closedAt)), s.Sid),
			evidence: []string{fmt.Sprintf("server CONNECT %s gave pid %s to session %s", r.nsp, clip(r.pid, 40), r.sid), packetLine(ev)},
		}, emit)
		return
	}
}

// csrReply runs on the server's CONNECT: it records the socket's pid and
// judges a recovery attempt.
func (e *Engine) csrReply(ev *event.Event, s *session.Session, emit func(event.Event)) {
	ns := s.Namespace(ev.Nsp)
	if ns == nil {
		return
	}
	c := &e.csr
	var old *csrRec
	if ns.RecoverPid != "" {
		c.init()
		old = c.byPid[ns.RecoverPid]
		if old != nil {
			old.claimed = true
			if i := slices.Index(c.ended, old); i >= 0 {
				c.ended = slices.Delete(c.ended, i, i+1)
			}
		}
	}
	if ns.Pid != "" {
		c.init()
		r := c.byPid[ns.Pid]
		if r == nil {
			if len(c.byPid) >= maxCSRRecs {
				e.pruneCSR(e.now, true)
			}
			if len(c.byPid) < maxCSRRecs {
				r = &csrRec{pid: ns.Pid}
				c.byPid[ns.Pid] = r
			}
		}
		if r != nil {
			r.socketID, r.sid, r.nsp, r.host, r.upstream = ns.SocketID, s.Sid, ev.Nsp, hostOf(s.Client), s.Upstream
			r.closedAt, r.recoverable, r.claimed = time.Time{}, false, false
			if r.lastEvent.IsZero() {
				r.lastEvent = ev.TS
			}
			c.bySid[s.Sid] = append(c.bySid[s.Sid], r)
		}
	}
	if ns.Recovery != "failed" || old == nil {
		return
	}
	gap := time.Duration(0)
	if !old.closedAt.IsZero() {
		gap = ev.TS.Sub(old.closedAt)
	}
	if gap > e.opts.CSRMaxDisconnection {
		return // expired, as configured
	}
	f := finding{
		code: CodeCSRFailed, sid: s.Sid, client: s.Client, at: ev.TS, key: hostOf(s.Client) + "|" + ev.Nsp,
		evidence: []string{
			fmt.Sprintf("session %s socket %s pid %s on %s, last offset %s", old.sid, clip(old.socketID, 30), clip(old.pid, 30), orNone(old.upstream), orNone(clip(old.offset, 30))),
			packetLine(ev),
		},
	}
	when := "while its previous session was still open"
	if !old.closedAt.IsZero() {
		when = fmt.Sprintf("%s after its previous session %s ended", dur(gap), old.sid)
	}
	f.summary = fmt.Sprintf("The client tried to recover its socket on %s (pid %s) %s, within maxDisconnectionDuration (%s, socket.io's default), but the server answered a new socket id %s instead of %s: the server-side state was lost",
		ev.Nsp, clip(old.pid, 40), when, dur(e.opts.CSRMaxDisconnection), clip(ns.SocketID, 30), clip(old.socketID, 30))
	if n := e.missedEvents(old, ev.TS); n > 0 {
		f.summary += fmt.Sprintf("; the client missed %d events sioproxy saw on %s in between", n, ev.Nsp)
	}
	f.summary += "; " + e.csrWhy(old, s, ns, ev.TS)
	e.report(f, emit)
}

// csrWhy names the likeliest reason a recovery in time failed.
func (e *Engine) csrWhy(old *csrRec, s *session.Session, ns *session.Namespace, at time.Time) string {
	switch {
	case !ns.HasOffset:
		return "the CONNECT carried no offset (see csr_offset_missing)"
	case old.upstream != "" && s.Upstream != "" && old.upstream != s.Upstream:
		return fmt.Sprintf("the reconnect reached another node (%s; the state was on %s): recovery across nodes needs sticky sessions and an adapter that stores sessions (Redis Streams, MongoDB, Postgres)", s.Upstream, old.upstream)
	}
	if down, ok := e.csr.downAt[old.upstream]; ok && !down.Before(old.closedAt.Add(-time.Second)) && !down.After(at) {
		return fmt.Sprintf("the target %s refused connections in between: the server restarted, and the in-memory adapter lost every session", old.upstream)
	}
	if !old.lastEvent.IsZero() && at.Sub(old.lastEvent) > e.opts.CSRMaxDisconnection {
		return fmt.Sprintf("the last event with an offset reached the client %s before the reconnect, longer than maxDisconnectionDuration: the adapter had already dropped that offset (socket.io #5282)", dur(at.Sub(old.lastEvent)))
	}
	return "a server restart, or an adapter without connection state recovery (the Redis pub/sub adapter has none)"
}

// missedEvents counts the distinct offsets seen on the old socket's
// upstream and namespace after it went away.
func (e *Engine) missedEvents(old *csrRec, until time.Time) int {
	fd := e.csr.feed[old.upstream+"|"+old.nsp]
	if fd == nil || old.closedAt.IsZero() {
		return 0
	}
	n := 0
	for i, at := range fd.at {
		if at.After(old.closedAt) && !at.After(until) && fd.off[i] != old.offset {
			n++
		}
	}
	return n
}

// csrEvent notes the offset a server event carries, for a session whose
// socket has a pid.
func (e *Engine) csrEvent(ev *event.Event, s *session.Session) {
	recs := e.csr.bySid[s.Sid]
	if len(recs) == 0 {
		return
	}
	off, ok := lastString(ev.Args)
	if !ok {
		return
	}
	for _, r := range recs {
		if r.nsp == ev.Nsp {
			r.offset, r.lastEvent = off, ev.TS
			e.feedOffset(r.upstream+"|"+r.nsp, off, ev.TS)
			return
		}
	}
}

func (e *Engine) feedOffset(key, off string, at time.Time) {
	c := &e.csr
	fd := c.feed[key]
	if fd == nil {
		if len(c.feed) >= csrFeedLimit {
			return
		}
		fd = &offsetFeed{seen: make(map[string]struct{})}
		c.feed[key] = fd
	}
	if _, dup := fd.seen[off]; dup {
		return // a broadcast reaches every socket with the same offset
	}
	if len(fd.off) >= maxFeed {
		delete(fd.seen, fd.off[0])
		fd.at, fd.off = fd.at[1:], fd.off[1:]
	}
	fd.at, fd.off = append(fd.at, at), append(fd.off, off)
	fd.seen[off] = struct{}{}
}

// csrClosed marks the sockets of an ended session as waiting for a
// recovery, unless the client said goodbye (DISCONNECT).
func (e *Engine) csrClosed(s *session.Session) {
	c := &e.csr
	recs := c.bySid[s.Sid]
	if len(recs) == 0 {
		return
	}
	delete(c.bySid, s.Sid)
	for _, r := range recs {
		if r.sid != s.Sid {
			continue // recovered by a later session since
		}
		r.closedAt = s.Close.At
		ns := s.Namespace(r.nsp)
		r.recoverable = ns == nil || ns.State != "disconnected"
		if r.recoverable && !r.claimed && len(c.ended) < maxCSREnded {
			c.ended = append(c.ended, r)
		}
	}
}

// pruneCSR forgets records past any recovery (all ended ones when hard).
func (e *Engine) pruneCSR(now time.Time, hard bool) {
	c := &e.csr
	if len(c.byPid) == 0 {
		return
	}
	keep := 2 * e.opts.CSRMaxDisconnection
	for pid, r := range c.byPid {
		if !r.closedAt.IsZero() && (hard || now.Sub(r.closedAt) > keep) {
			delete(c.byPid, pid)
		}
	}
	c.ended = slices.DeleteFunc(c.ended, func(r *csrRec) bool { return now.Sub(r.closedAt) > e.opts.CSRMaxDisconnection })
	if len(c.bySid) > e.opts.MaxSessions {
		clear(c.bySid) // sessions forgotten without an end
	}
}

// lastString returns the last element of a JSON array when it is a plain
// string (an offset: no escapes), as in ["news",{"a":1},"MTcx"].
func lastString(args []byte) (string, bool) {
	n := len(args)
	for n > 0 && (args[n-1] == ' ' || args[n-1] == '\n') {
		n--
	}
	if n < 4 || args[n-1] != ']' || args[n-2] != '"' {
		return "", false
	}
	end := n - 2
	i := end - 1
	for i >= 0 && args[i] != '"' {
		if args[i] == '\\' {
			return "", false
		}
		i--
	}
	if i < 1 || (args[i-1] != ',' && args[i-1] != '[') || end-i-1 > 64 {
		return "", false
	}
	return string(args[i+1 : end]), true
}
