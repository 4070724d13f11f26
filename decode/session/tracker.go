package session

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Tracker holds the live sessions and turns observations into events. Its
// methods may be called from several goroutines (the analyzer feeds it, the
// TUI reads Sessions), but emit callbacks run with the lock held and must
// not call back into the Tracker.
type Tracker struct {
	mu       sync.Mutex
	opts     Options
	sessions map[string]*Session
	conns    map[uint64]*Conn

	// out is the current call's emit; diagEmit is a method value bound once
	// so handing it to the Diagnoser costs no allocation per call.
	out      func(event.Event)
	diagEmit func(event.Event)
	// cur is the session the current observation belonged to.
	cur *Session
	// diagEv is the event being shown to the Diagnoser (see emit).
	diagEv event.Event
	// active is the active layer's mark of the observation being decoded,
	// copied onto every packet event it yields.
	active *event.Active
	// early holds POSTs whose body was decoded from their http.start, by
	// exchange id, with the packet count, so the final exchange skips it.
	early map[uint64]int
	// noBinaryRaw is set when no consumer shows a polling binary packet's
	// wire bytes, so they are not rebuilt (a 64 KiB attachment costs an
	// 87 KB base64 encoding per event just to be thrown away).
	noBinaryRaw bool
	binStyle    sio.BinaryStyle // how attachments appear in Args

	// Tick's buffers, kept between ticks.
	tickBuf   []*Session
	tickOrder OpenedOrder[*Session]
}

// OmitBinaryRaw stops filling Raw on events of binary packets that came
// by polling (Size is still the wire size). Polling wire forms are rebuilt
// from decoded packets, which for base64 records means encoding every
// attachment again; a consumer that never shows the bytes (the --json and
// text writers) saves that. Socket.IO attachments that came as canonical
// base64 records are not even decoded: their text goes into Args as it is,
// and their entry in Event.Buffers is nil (Attachments, Size and Args are
// as without the option). Call it before the first Observe.
func (t *Tracker) OmitBinaryRaw() { t.noBinaryRaw = true }

// SetBinaryStyle sets how binary attachments are written into Args
// (default sio.BinaryFull, the base64 of the bytes). Event.Buffers still
// holds the bytes, and a recording the wire. Call it before the first
// Observe.
func (t *Tracker) SetBinaryStyle(st sio.BinaryStyle) { t.binStyle = st }

// NewTracker returns an empty Tracker.
func NewTracker(opts Options) *Tracker {
	t := &Tracker{
		opts:     opts.withDefaults(),
		sessions: make(map[string]*Session),
		conns:    make(map[uint64]*Conn),
		early:    make(map[uint64]int),
	}
	t.diagEmit = t.forward
	return t
}

// Observe decodes one observation and emits the events it yields, in wire
// order per direction.
func (t *Tracker) Observe(o obs.Obs, emit func(event.Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out, t.cur = emit, nil
	t.active = activeOf(o)
	switch o.Kind {
	case obs.KindHTTP:
		if o.HTTP != nil {
			t.http(o)
		}
	case obs.KindHTTPStart:
		if o.HTTP != nil {
			t.httpStart(o)
		}
	case obs.KindWSOpen:
		if o.WSOpen != nil {
			t.wsOpen(o)
		}
	case obs.KindWSMsg:
		if o.WSMsg != nil {
			t.wsMsg(o)
		}
	case obs.KindWSClose:
		if o.WSClose != nil {
			t.wsClose(o)
		}
	case obs.KindInject:
		if o.Inject != nil {
			t.inject(o)
		}
	case obs.KindDrop:
		if o.Drop != nil {
			t.forward(event.Event{TS: o.Time, Kind: event.KindDrop, Dropped: o.Drop.Count, Where: o.Drop.Where})
		}
	}
	if d := t.opts.Diagnoser; d != nil {
		d.Observe(o, t.cur, t.diagEmit)
	}
	t.out, t.cur, t.active = nil, nil, nil
}

// Tick runs the timers: sessions silent for longer than their heartbeat
// allows are closed as "ping timeout", probes past the upgrade timeout are
// marked stuck, and closed sessions older than Options.Retain are
// forgotten. now comes from the caller's clock.
func (t *Tracker) Tick(now time.Time, emit func(event.Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out = emit
	// Sorted so that several sessions timing out in one tick are reported
	// in a stable order.
	live := t.tickOrder.Append(t.tickBuf[:0], maps.Values(t.sessions), func(s *Session) *Session { return s })
	defer func() { clear(live); t.tickBuf = live[:0] }()
	for _, s := range live {
		sid := s.Sid
		t.cur = s
		switch {
		case s.Closed:
			if now.Sub(s.Close.At) > t.opts.Retain {
				t.forget(sid, s)
			}
		case !s.HasOpen:
			if now.Sub(s.LastActivity) > t.opts.Retain {
				t.forget(sid, s)
			}
		default:
			t.tickSession(s, now)
		}
	}
	for id, c := range t.conns {
		// A socket whose open packet never came, or whose close was lost.
		if c.session == nil && now.Sub(c.Opened) > t.opts.Retain {
			delete(t.conns, id)
		}
	}
	t.cur = nil
	if d := t.opts.Diagnoser; d != nil {
		d.Tick(now, t.diagEmit)
	}
	t.out = nil
}

func (t *Tracker) tickSession(s *Session, now time.Time) {
	if s.Upgrade == StateProbing {
		for _, c := range s.Conns {
			if c.Probe && c.Closed == nil && c.Upgraded.IsZero() && now.Sub(c.Opened) > UpgradeTimeout+t.opts.HeartbeatSlack {
				s.Upgrade = StateStuck
			}
		}
	}
	if s.Open.PingInterval <= 0 && s.Open.PingTimeout <= 0 {
		return
	}
	last := s.LastHeartbeat
	if last.IsZero() {
		last = s.Opened
	}
	limit := time.Duration(s.Open.PingInterval+s.Open.PingTimeout)*time.Millisecond + t.opts.HeartbeatSlack
	if now.Sub(last) <= limit {
		return
	}
	// Who gave up: the side waiting for a pong, or else the side waiting
	// for a ping. v4 servers ping, v3 clients do.
	pinger, other := "server", "client"
	if s.EIO == eio.V3 {
		pinger, other = other, pinger
	}
	by := other
	if len(s.PendingPings) > 0 {
		by = pinger
	}
	t.closeSession(s, CloseInfo{At: last.Add(limit), Reason: "ping timeout", By: by, Trigger: "heartbeat", How: "silence"}, s.Transport, 0, 0)
}

func (t *Tracker) forget(sid string, s *Session) {
	for _, c := range s.Conns {
		if t.conns[c.ID] == c {
			delete(t.conns, c.ID)
		}
	}
	delete(t.sessions, sid)
	t.tickOrder.Invalidate()
}

// Sessions returns a snapshot of the sessions held, oldest first.
func (t *Tracker) Sessions() []SessionInfo {
	t.mu.Lock()
	out := make([]SessionInfo, 0, len(t.sessions))
	for _, s := range t.sessions {
		out = append(out, s.info())
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := a.Opened.Compare(b.Opened); c != 0 {
			return c
		}
		return strings.Compare(a.Sid, b.Sid)
	})
	return out
}

// forward emits ev, counting faults per session on the way.
func (t *Tracker) forward(ev event.Event) {
	if ev.Kind == event.KindFault && ev.Fault != nil && ev.Sid != "" {
		if s := t.sessions[ev.Sid]; s != nil {
			if s.faultCodes == nil {
				s.faultCodes = make(map[string]struct{})
			}
			if _, ok := s.faultCodes[ev.Fault.Code]; !ok {
				s.faultCodes[ev.Fault.Code] = struct{}{}
				s.Faults++
			}
		}
	}
	if t.active != nil && (ev.Kind == event.KindPacket || ev.Kind == event.KindHTTP) {
		ev.Active = t.active
	}
	if t.out != nil {
		t.out(ev)
	}
}

// emit sends an event that belongs to s and shows it to the Diagnoser.
func (t *Tracker) emit(s *Session, ev event.Event) {
	t.forward(ev)
	if d := t.opts.Diagnoser; d != nil && s != nil {
		// A pointer to a local would escape through the interface call
		// and cost a heap event per packet; the Diagnoser sees ev only
		// for the call, and its emit (forward) never comes back here.
		t.diagEv = ev
		d.Packet(&t.diagEv, s, t.diagEmit)
		t.diagEv = event.Event{} // drop references to the packet's data
	}
}

// isEIO says whether a request path and query are Engine.IO traffic.
func (t *Tracker) isEIO(path string, q eio.Query) bool {
	if q.HasEIO && q.Transport != "" {
		return true
	}
	if !q.HasEIO && q.Transport == "" && q.Sid == "" {
		return false // client bundles and app pages under the path
	}
	for _, p := range t.opts.Paths {
		if strings.HasPrefix(path, p) || path+"/" == p {
			return true
		}
	}
	return false
}

// newSession registers a session, evicting one if the cap is reached.
func (t *Tracker) newSession(sid string, v eio.Version, q eio.Query, path, client string, at time.Time) *Session {
	if len(t.sessions) >= t.opts.MaxSessions {
		t.evict()
	}
	s := &Session{
		Sid: sid, Client: client, EIO: v, Query: q, Path: path, SIO: !strings.HasPrefix(path, "/engine.io"),
		Opened: at, LastActivity: at, LastHeartbeat: at,
	}
	t.sessions[sid] = s
	t.tickOrder.Invalidate()
	return s
}

func (t *Tracker) evict() {
	var victim *Session
	for _, s := range t.sessions {
		switch {
		case victim == nil:
			victim = s
		case s.Closed != victim.Closed:
			if s.Closed {
				victim = s
			}
		case s.LastActivity.Before(victim.LastActivity):
			victim = s
		}
	}
	if victim != nil {
		t.forget(victim.Sid, victim)
	}
}

// closeSession ends s once and emits the session close event.
func (t *Tracker) closeSession(s *Session, ci CloseInfo, tr decode.Transport, exchange, conn uint64) {
	if s.Closed {
		return
	}
	last := s.lastPacket
	if last.IsZero() {
		last = s.Opened
	}
	// Wall clock only (Round(0)): a replay has no monotonic readings, and
	// must print the same idle and age as the live run.
	ci.Idle = max(ci.At.Round(0).Sub(last.Round(0)), 0)
	s.Closed, s.Close = true, ci
	for d := range s.dec {
		if s.dec[d] != nil {
			s.dec[d].Reset()
		}
		s.bin[d] = binState{}
	}
	t.emit(s, event.Event{
		TS: ci.At, Kind: event.KindSession, Action: "close", Sid: s.Sid, Transport: tr.String(),
		EIO: int(s.EIO), Client: s.Client, Reason: ci.Reason, By: ci.By, Code: ci.Code,
		How: ci.How, AgeMs: msSince(s.Opened.Round(0), ci.At.Round(0)), IdleMs: msDur(ci.Idle),
		Exchange: exchange, Conn: conn,
	})
}

// markError records a decode error on s (if any) and emits it.
func (t *Tracker) markError(s *Session, at time.Time, tr decode.Transport, dir decode.Dir, err error, exchange, conn uint64) {
	ev := event.Event{TS: at, Kind: event.KindError, Transport: tr.String(), Dir: dir.String(), Error: err.Error(), Exchange: exchange, Conn: conn}
	if s != nil {
		s.DecodeErrors++
		s.LastError = DecodeError{At: at, Dir: dir, Layer: layerOf(err), Text: ev.Error}
		ev.Sid, ev.EIO, ev.Client = s.Sid, int(s.EIO), s.Client
	}
	t.emit(s, ev)
}

func msDur(d time.Duration) *float64 {
	ms := float64(d) / float64(time.Millisecond)
	return &ms
}

func msSince(a, b time.Time) *float64 {
	ms := float64(b.Sub(a)) / float64(time.Millisecond)
	return &ms
}
