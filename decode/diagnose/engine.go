package diagnose

import (
	"cmp"
	"net"
	"slices"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// KindHTTPStart is the observation of a request when the proxy has routed
// it, before any response (Status 0). C2 fires on it, before the 400 the
// wrong upstream will answer. The Tracker ignores it.
const KindHTTPStart obs.Kind = "http.start"

// Options configure an Engine. The zero value is usable.
type Options struct {
	// ListenTLS says sioproxy's client-facing listener is TLS (D4 looks for
	// https pages talking to a plaintext listener).
	ListenTLS bool
	// Forward is set in forward-proxy mode: each request's scheme is its
	// upstream's (intercepted HTTPS or plain HTTP), and D4 is off because
	// there is no single listener scheme.
	Forward bool
	// Paths are the Engine.IO path prefixes. Default "/socket.io/" and
	// "/engine.io/".
	Paths []string
	// RateLimit is the least time between two emissions of one fault's
	// updates; updates in between are emitted by Tick. Default 1 s.
	RateLimit time.Duration
	// Slack is added to every protocol timer before a rule fires. Default 1 s.
	Slack time.Duration
	// StuckAfter and StuckPolls: a session offered the upgrade but still
	// polling, without a WebSocket attempt, after this long and this many
	// requests, is stuck (D1 warning). Defaults 30 s and 3; a negative
	// StuckAfter turns the rule off.
	StuckAfter time.Duration
	StuckPolls int
	// MaxFaults caps the folded faults remembered (the oldest is dropped).
	// Default 4096.
	MaxFaults int
	// MaxSessions caps the per-session state. Default 20000.
	MaxSessions int
	// AckTimeout: an EVENT with an ack id whose ACK has not come after
	// this long is reported (G5). Default 10 s; negative turns it off.
	// An ACK still missing when the session ends is reported either way.
	AckTimeout time.Duration
	// CSRMaxDisconnection is the server's connectionStateRecovery
	// maxDisconnectionDuration: a recovery refused within it lost the
	// server-side state (L1). Default 2 minutes, socket.io's default.
	CSRMaxDisconnection time.Duration
	// StormWindow and StormMin: StormMin handshakes or more within
	// StormWindow, most of them failing or right after many sessions
	// dropped, is a reconnection storm (L2). Defaults 10 s and 20.
	StormWindow time.Duration
	StormMin    int
}

func (o Options) withDefaults() Options {
	if len(o.Paths) == 0 {
		o.Paths = []string{"/socket.io/", "/engine.io/"}
	}
	if o.RateLimit <= 0 {
		o.RateLimit = time.Second
	}
	if o.Slack <= 0 {
		o.Slack = time.Second
	}
	if o.StuckAfter == 0 {
		o.StuckAfter = 30 * time.Second
	}
	if o.StuckPolls <= 0 {
		o.StuckPolls = 3
	}
	if o.MaxFaults <= 0 {
		o.MaxFaults = 4096
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 20000
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = 10 * time.Second
	}
	if o.CSRMaxDisconnection <= 0 {
		o.CSRMaxDisconnection = 2 * time.Minute
	}
	if o.StormWindow <= 0 {
		o.StormWindow = 10 * time.Second
	}
	if o.StormMin <= 0 {
		o.StormMin = 20
	}
	return o
}

// Engine diagnoses faults. It implements session.Diagnoser; like the
// Tracker that calls it, it is driven from one goroutine at a time.
type Engine struct {
	opts Options
	// tickSessions' buffers, kept between ticks.
	tickBuf   []*sidState
	tickOrder session.OpenedOrder[*sidState]
	faults    map[string]*folded
	sids      map[string]*sidState
	hosts     map[string]*hostState
	// cutAges are recent ages of sessions cut by the server side without a
	// close handshake (F2).
	cutAges []cutAge
	// tlsAt is when an upstream TLS observation was last seen per client
	// host: the HTTPExchange that follows it is the same failure.
	tlsAt map[string]time.Time
	// reflected are the origins each upstream echoed back in
	// Access-Control-Allow-Origin with credentials allowed (B5).
	reflected map[string][]string
	// csr is the connection state recovery tracking (L1).
	csr csrState
	// dup finds one client's duplicate sessions (L3).
	dup dupState
	// storm watches handshake rates and retry intervals (L2).
	storm stormState
	seq   uint64
	now   time.Time
	inj   injected // --inject rules that hit sessions and hosts (injected.go)
}

var _ session.Diagnoser = (*Engine)(nil)

// New returns an Engine.
func New(opts Options) *Engine {
	return &Engine{
		opts:      opts.withDefaults(),
		faults:    make(map[string]*folded),
		sids:      make(map[string]*sidState),
		hosts:     make(map[string]*hostState),
		tlsAt:     make(map[string]time.Time),
		reflected: make(map[string][]string),
	}
}

// folded is one fault and its repeats.
type folded struct {
	key     string
	sid     string
	client  string
	f       event.Fault
	seq     uint64 // creation order, for eviction
	emitted time.Time
	dirty   bool
}

// finding is one occurrence of a fault, as a rule sees it.
type finding struct {
	code     string
	sid      string
	client   string
	at       time.Time
	summary  string
	evidence []string
	fix      string         // replaces the catalogue fix when set
	severity event.Severity // replaces the catalogue severity when set
	// refine updates the fault's text without counting a new occurrence
	// (a confirmation of an occurrence already counted).
	refine bool
	// key folds by this instead of the client host (e.g. the target of
	// upstream_unreachable, the event name of an ack timeout).
	key string
	// cause is the code of the root fault this one follows from; a
	// caused fault folds apart from the same code as a root cause.
	cause string
	// target is the upstream the fault is about.
	target string
}

const (
	maxEvidence   = 8
	keepFirstEvid = 3
)

// report folds f into its fault and emits the fault when due.
func (e *Engine) report(f finding, emit func(event.Event)) {
	ent := byCode[f.code]
	if ent == nil {
		return
	}
	if f.at.IsZero() {
		f.at = e.now
	}
	if f.cause == "" {
		f.cause = e.causeOf(f)
	}
	if f.cause != "" {
		// A consequence, not a root cause: shown under its cause, with
		// the cause's fix.
		f.severity = event.Info
		if f.fix == "" {
			f.fix = causedFix(f.cause)
		}
	}
	fk := f.key
	if fk == "" {
		fk = hostOf(f.client)
	}
	key := f.code + "|" + fk + "|" + f.cause
	injectedBy := e.attributeInjection(&f, ent.Catalog)
	fd := e.faults[key]
	if fd == nil {
		if len(e.faults) >= e.opts.MaxFaults {
			e.evictFault()
		}
		e.seq++
		fd = &folded{key: key, seq: e.seq, f: event.Fault{
			Code: ent.Code, Catalog: ent.Catalog, Severity: ent.Severity, Fix: ent.Fix, First: f.at,
			Cause: f.cause, Target: f.target,
		}}
		e.faults[key] = fd
	} else if f.refine && fd.f.Count > 0 && fd.f.Summary == f.summary {
		return
	}
	if !f.refine || fd.f.Count == 0 {
		fd.f.Count++
	}
	if f.at.After(fd.f.Last) {
		fd.f.Last = f.at
	}
	if f.severity != "" {
		fd.f.Severity = f.severity
	}
	if f.fix != "" {
		fd.f.Fix = f.fix
	}
	fd.f.Summary = f.summary
	if injectedBy != "" {
		fd.f.Injected = injectedBy
	}
	fd.f.Evidence = addEvidence(fd.f.Evidence, f.evidence)
	if f.sid != "" {
		fd.sid = f.sid
	}
	if f.client != "" {
		fd.client = f.client
	}
	if ss := e.sids[f.sid]; ss != nil {
		if ent.Severity != event.Info {
			ss.explained = true
		}
		if !slices.Contains(ss.codes, f.code) && len(ss.codes) < 16 {
			ss.codes = append(ss.codes, f.code)
		}
	}
	fd.dirty = true
	if fd.emitted.IsZero() || f.at.Sub(fd.emitted) >= e.opts.RateLimit {
		e.flush(fd, f.at, emit)
	}
}

// addEvidence appends lines not already listed, keeping the first few and
// the latest ones once the list is full.
func addEvidence(have, add []string) []string {
	for _, l := range add {
		if l == "" || slices.Contains(have, l) {
			continue
		}
		if len(have) < maxEvidence {
			have = append(have, l)
			continue
		}
		copy(have[keepFirstEvid:], have[keepFirstEvid+1:])
		have[len(have)-1] = l
	}
	return have
}

func (e *Engine) flush(fd *folded, at time.Time, emit func(event.Event)) {
	fd.dirty, fd.emitted = false, at
	if emit == nil {
		return
	}
	f := fd.f
	f.Evidence = slices.Clone(fd.f.Evidence)
	emit(event.Event{TS: at, Kind: event.KindFault, Sid: fd.sid, Client: fd.client, Fault: &f})
}

func (e *Engine) evictFault() {
	var old *folded
	for _, fd := range e.faults {
		if old == nil || fd.seq < old.seq {
			old = fd
		}
	}
	if old != nil {
		delete(e.faults, old.key)
	}
}

// Faults returns the folded faults, oldest first (for tests and summaries).
func (e *Engine) Faults() []event.Fault {
	fds := make([]*folded, 0, len(e.faults))
	for _, fd := range e.faults {
		fds = append(fds, fd)
	}
	slices.SortFunc(fds, func(a, b *folded) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]event.Fault, len(fds))
	for i, fd := range fds {
		out[i] = fd.f
		out[i].Evidence = slices.Clone(fd.f.Evidence)
	}
	return out
}

func (e *Engine) clock(t time.Time) {
	if t.After(e.now) {
		e.now = t
	}
}

// Observe implements session.Diagnoser.
func (e *Engine) Observe(o obs.Obs, s *session.Session, emit func(event.Event)) {
	e.clock(o.Time)
	switch o.Kind {
	case obs.KindHTTP:
		if o.HTTP != nil {
			e.observeHTTP(o, s, emit)
		}
	case KindHTTPStart:
		if o.HTTP != nil {
			e.observeStart(o, emit)
		}
	case obs.KindWSOpen:
		if o.WSOpen != nil {
			e.observeWSOpen(o, s, emit)
		}
	case obs.KindWSMsg:
		if o.WSMsg != nil && s != nil {
			e.observeWSMsg(o, s, emit)
		}
	case obs.KindWSClose:
		if o.WSClose != nil && s != nil {
			e.observeWSClose(o, s, emit)
		}
	case obs.KindTLS:
		if o.TLS != nil {
			e.observeTLS(o, emit)
		}
	case obs.KindInject:
		if o.Inject != nil {
			e.observeInject(o, s)
		}
	}
}

// Packet implements session.Diagnoser.
func (e *Engine) Packet(ev *event.Event, s *session.Session, emit func(event.Event)) {
	switch ev.Kind {
	case event.KindPacket:
		switch ev.Engine {
		case "message":
			if ev.Type != "" && ev.Type != "EVENT" && ev.Type != "ACK" {
				e.sioPacket(ev, s, emit)
			} else if ev.Type == "EVENT" && ev.Dir == "c2s" {
				e.checkEventNamespace(ev, s, emit)
			} else if ev.Type == "EVENT" {
				if len(e.csr.bySid) > 0 {
					e.csrEvent(ev, s)
				}
				if len(e.dup.watch) > 0 {
					e.dupEvent(ev, s, emit)
				}
			}
		case "ping", "pong":
			if ev.Data != "probe" {
				e.checkHeartbeatDir(ev, s, emit)
				if len(e.dup.pending) > 0 && ev.Dir == "c2s" {
					e.dupAlive(ev, s, emit)
				}
			}
		}
	case event.KindSession:
		e.clock(ev.TS)
		switch ev.Action {
		case "open":
			e.sessionOpened(ev, s, emit)
		case "close":
			e.sessionClosed(ev, s, emit)
		}
	case event.KindError:
		e.clock(ev.TS)
		e.decodeError(ev, s, emit)
	}
}

// Tick implements session.Diagnoser: it runs the rules' timers and emits
// the fault updates held back by the rate limit.
func (e *Engine) Tick(now time.Time, emit func(event.Event)) {
	e.clock(now)
	e.tickSessions(now, emit)
	e.pruneCSR(now, false)
	var due []*folded
	for _, fd := range e.faults {
		if fd.dirty && now.Sub(fd.emitted) >= e.opts.RateLimit {
			due = append(due, fd)
		}
	}
	slices.SortFunc(due, func(a, b *folded) int { return cmp.Compare(a.seq, b.seq) })
	for _, fd := range due {
		e.flush(fd, now, emit)
	}
	for h, at := range e.tlsAt {
		if now.Sub(at) > time.Minute {
			delete(e.tlsAt, h)
		}
	}
}

// hostOf is the client's host without its port: a reconnecting client
// comes back from a new port, and its faults must fold together.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
