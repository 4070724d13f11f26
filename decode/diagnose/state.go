package diagnose

import (
	"maps"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// sidState is what the rules remember about one session beyond what the
// Tracker keeps.
type sidState struct {
	s      *session.Session
	client string
	// upstream produced the open packet (C2).
	upstream string
	// ident holds backend identity hints of the handshake response, and
	// affinity its affinity cookies (C2 behind one load balancer).
	ident    map[string]string
	affinity map[string]string
	// flagged exchange or connection ids already reported by C2, so the
	// request-start and the finished exchange count once.
	c2Flagged uint64
	// nsConnected holds namespaces the server accepted and that are not
	// disconnected since (duplicate CONNECT).
	nsConnected map[string]bool
	// one-shot rule flags.
	f1, stuck, connectMissing, h1, cookieFlagged, backendFlagged bool
	probeFlagged                                                 []uint64
	// explained is set once a warning or error fault named this session:
	// its abnormal end needs no J fault of its own.
	explained bool
	// dupKeys are the identity keys this session is listed under (L3).
	dupKeys []string
	// big is the last large WebSocket message (H1 on a close after it).
	big bigMsg
	// acksFlagged are the pending acks already reported (G5).
	acksFlagged map[ackRef]struct{}
	// codes are the fault codes reported for this session, so that a
	// fault that follows from one of them is attributed to it.
	codes []string
	seen  time.Time
}

// hostState is per client host.
type hostState struct {
	unknownLive int // C1 occurrences
}

type cutAge struct {
	sid  string
	age  time.Duration
	idle time.Duration // without a packet before the cut
}

const maxCutAges = 32

func (e *Engine) sid(s *session.Session) *sidState {
	if s == nil || s.Sid == "" {
		return nil
	}
	ss := e.sids[s.Sid]
	if ss == nil {
		if len(e.sids) >= e.opts.MaxSessions {
			e.pruneSids(e.now, true)
			if len(e.sids) >= e.opts.MaxSessions {
				return nil
			}
		}
		ss = &sidState{s: s, client: s.Client, upstream: s.Upstream}
		e.sids[s.Sid] = ss
		e.tickOrder.Invalidate()
	}
	if ss.s != s {
		e.tickOrder.Invalidate() // a new session under a known sid: another Opened
	}
	ss.s = s
	ss.seen = e.now
	return ss
}

func (e *Engine) host(client string) *hostState {
	h := hostOf(client)
	hs := e.hosts[h]
	if hs == nil {
		if len(e.hosts) >= e.opts.MaxSessions {
			clear(e.hosts)
		}
		hs = &hostState{}
		e.hosts[h] = hs
	}
	return hs
}

// retain is how long the state of an ended or silent session is kept.
const retain = 2 * time.Minute

// pruneSids forgets ended sessions (and, when hard, every session idle
// for longer than retain).
func (e *Engine) pruneSids(now time.Time, hard bool) {
	for sid, ss := range e.sids {
		s := ss.s
		switch {
		case s.Closed && now.Sub(s.Close.At) > retain:
		case now.Sub(ss.seen) > 5*retain && now.Sub(s.LastActivity) > 5*retain:
		case hard && now.Sub(s.LastActivity) > retain:
		default:
			continue
		}
		delete(e.sids, sid)
		e.tickOrder.Invalidate()
	}
}

func (e *Engine) sessionOpened(ev *event.Event, s *session.Session, emit func(event.Event)) {
	ss := e.sid(s)
	if ss == nil {
		return
	}
	ss.upstream = s.Upstream
	if s.Handshake != nil {
		ss.ident = identity(s.Handshake.RespHeader)
		ss.affinity = affinityCookies(s.Handshake.RespHeader.Values("Set-Cookie"))
	} else if s.HandshakeWS != nil && s.HandshakeWS.Open != nil {
		ss.ident = identity(s.HandshakeWS.Open.RespHeader)
		ss.affinity = affinityCookies(s.HandshakeWS.Open.RespHeader.Values("Set-Cookie"))
	}
	e.checkOpen(ev, s, emit)
	e.sessionLive(s)
	if s.HandshakeWS != nil && s.HandshakeWS.Open != nil {
		e.handshakeAttempt(s.HandshakeWS.Open.Start, ev.TS, s.Client, false, "101", emit)
	}
}

func (e *Engine) tickSessions(now time.Time, emit func(event.Event)) {
	e.pruneSids(now, false)
	// Sorted so that faults found in one tick come out in a stable order.
	live := e.tickOrder.Append(e.tickBuf[:0], maps.Values(e.sids), func(ss *sidState) *session.Session { return ss.s })
	defer func() { clear(live); e.tickBuf = live[:0] }()
	for _, ss := range live {
		if s := ss.s; s.Closed || !s.HasOpen || s.Adopted {
			continue
		}
		e.tickHeartbeat(now, ss, emit)
		e.tickUpgrade(now, ss, emit)
		e.tickConnect(now, ss, emit)
		e.tickAcks(now, ss, emit)
	}
}
