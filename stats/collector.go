package stats

import (
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Options bound a Collector's memory. Zero values take the defaults.
type Options struct {
	// MaxNames is how many distinct event names get their own row (and
	// their own Prometheus label value); later names count as Other.
	// Default 50.
	MaxNames int
	// MaxNamespaces is the same bound for namespaces. Default 32.
	MaxNamespaces int
	// MaxSessions is how many sessions are kept. Default 512.
	MaxSessions int
	// MaxPendingAcks bounds the EVENTs waiting for their ACK. Default 65536.
	MaxPendingAcks int
}

// Other is the row that takes every event name (or namespace) past the bound.
const Other = "(other)"

// maxNameLen cuts wire strings kept as names: a hostile peer cannot make
// the collector hold megabytes per name.
const maxNameLen = 80

// Window lengths. Overall rates use one-second slots over five minutes;
// per-session ones one-second slots over two minutes, so a session costs
// about 4 KiB.
const (
	overallSlots  = 300
	sessionSlots  = 120
	sessionWidth  = time.Second
	faultSlots    = 60
	faultWidth    = 10 * time.Second
	eventSlots    = 60 // per event name: the rate over the last minute
	handshakeOK   = "ok"
	upgradeFailed = "failed"
)

// upgradeFaults are the fault codes that mean an upgrade to WebSocket
// failed (FAULTS.md D1, D2).
var upgradeFaults = map[string]bool{
	"upgrade_headers_stripped":  true,
	"websocket_upgrade_refused": true,
	"upgrade_probe_unanswered":  true,
	"upgrade_not_completed":     true,
	"stuck_on_polling":          true,
}

// Dir indexes per-direction counters: 0 client to server, 1 server to client.
const (
	C2S = 0
	S2C = 1
)

func dirIndex(s string) int {
	if s == "s2c" {
		return S2C
	}
	return C2S
}

// DirName is the wire name of a direction index.
func DirName(d int) string {
	if d == S2C {
		return "s2c"
	}
	return "c2s"
}

type evKey struct {
	name int // index into names; 0 is Other
	dir  int
}

type eventStats struct {
	count, bytes uint64
	size         Histogram
	ack          *Histogram // microseconds; allocated on the first ACK
	ackLe        [len(AckBuckets) + 1]uint64
	answered     uint64
	unanswered   uint64
	pending      uint64
	rate         *Series
}

type ackKey struct {
	nsp string
	id  int64
	dir int // direction of the EVENT
}

type pendingAck struct {
	ev *eventStats
	at time.Time
}

type sessionStats struct {
	row     SessionRow
	pps     *Series
	bps     *Series
	rttSum  float64
	rttN    int
	pending map[ackKey]pendingAck
}

type trafficKey struct {
	dir      int
	typ, nsp string
}

// Collector accumulates stats. Its methods are safe for concurrent use:
// the analyzer observes while the UI and the metrics endpoint read.
type Collector struct {
	mu  sync.Mutex
	opt Options

	start, now time.Time

	names    map[string]int
	nameList []string
	events   map[evKey]*eventStats
	nsps     map[string]bool

	sessions  map[string]*sessionStats
	untracked uint64
	pendingN  int
	ackLost   uint64 // EVENTs with an id not tracked: the bound was reached

	traffic map[trafficKey]*[2]uint64 // packets, bytes
	packets [2]uint64
	bytes   [2]uint64
	pps     *Series
	bps     *Series

	faultSeries  *Series
	faultsByCode map[string]uint64
	faultSeen    map[string]int
	faultsTotal  uint64

	rtt          Histogram // microseconds
	handshakes   map[string]uint64
	opened       map[SessionKind]uint64
	upgrades     map[string]uint64
	reconnects   uint64
	closedHosts  map[string]bool
	relayErrors  map[string]uint64
	drops        map[string]uint64
	decodeErrors uint64
	closeReasons map[string]uint64
}

// SessionKind is a transport and an Engine.IO version.
type SessionKind struct {
	Transport string
	EIO       int
}

// New returns an empty Collector.
func New(opt Options) *Collector {
	if opt.MaxNames <= 0 {
		opt.MaxNames = 50
	}
	if opt.MaxNamespaces <= 0 {
		opt.MaxNamespaces = 32
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 512
	}
	if opt.MaxPendingAcks <= 0 {
		opt.MaxPendingAcks = 65536
	}
	return &Collector{
		opt:          opt,
		names:        map[string]int{Other: 0},
		nameList:     []string{Other},
		events:       map[evKey]*eventStats{},
		nsps:         map[string]bool{},
		sessions:     map[string]*sessionStats{},
		traffic:      map[trafficKey]*[2]uint64{},
		pps:          NewSeries(overallSlots, time.Second),
		bps:          NewSeries(overallSlots, time.Second),
		faultSeries:  NewSeries(faultSlots, faultWidth),
		faultsByCode: map[string]uint64{},
		faultSeen:    map[string]int{},
		handshakes:   map[string]uint64{},
		opened:       map[SessionKind]uint64{},
		upgrades:     map[string]uint64{},
		closedHosts:  map[string]bool{},
		relayErrors:  map[string]uint64{},
		drops:        map[string]uint64{},
		closeReasons: map[string]uint64{},
	}
}

// Observe adds one event. It keeps no reference to ev or its data.
func (c *Collector) Observe(ev *event.Event) {
	c.mu.Lock()
	c.observe(ev)
	c.mu.Unlock()
}

// Advance moves the collector's clock to now (if later): rates and
// sparklines fall to zero when the traffic stops, instead of freezing on
// the last event. The analyzer calls it on its tick with its clock, the
// recorded one in a replay.
func (c *Collector) Advance(now time.Time) {
	c.mu.Lock()
	if now.After(c.now) && !c.start.IsZero() {
		c.now = now
	}
	c.mu.Unlock()
}

func (c *Collector) observe(ev *event.Event) {
	if !ev.TS.IsZero() {
		if c.start.IsZero() || ev.TS.Before(c.start) {
			c.start = ev.TS
		}
		if ev.TS.After(c.now) {
			c.now = ev.TS
		}
	}
	switch ev.Kind {
	case event.KindPacket:
		c.packet(ev)
	case event.KindSession:
		c.session(ev)
	case event.KindHTTP:
		c.http(ev)
	case event.KindFault:
		c.fault(ev)
	case event.KindError:
		c.decodeErrors++
	case event.KindDrop:
		c.drops[bound(c.drops, clean(ev.Where), 16)] += ev.Dropped
	}
}

func (c *Collector) packet(ev *event.Event) {
	d := dirIndex(ev.Dir)
	size := uint64(max(ev.Size, 0))
	c.packets[d]++
	c.bytes[d] += size
	c.pps.Add(ev.TS, 1)
	c.bps.Add(ev.TS, float64(size))
	typ := ev.Type
	if typ == "" {
		typ = ev.Engine
	}
	nsp := ev.Nsp
	if ev.Type != "" && nsp == "" {
		nsp = "/"
	}
	if nsp != "" && !c.nsps[nsp] {
		if len(c.nsps) < c.opt.MaxNamespaces {
			nsp = clean(nsp)
			c.nsps[nsp] = true
		} else {
			nsp = Other
		}
	}
	tk := trafficKey{d, typ, nsp}
	t := c.traffic[tk]
	if t == nil {
		t = new([2]uint64)
		c.traffic[tk] = t
	}
	t[0]++
	t[1] += size

	s := c.sessions[ev.Sid]
	if s != nil {
		s.row.Packets[d]++
		s.row.Bytes[d] += size
		s.pps.Add(ev.TS, 1)
		s.bps.Add(ev.TS, float64(size))
		s.row.LastActivity = ev.TS
	}
	if ev.RTTMs != nil {
		us := msToUs(*ev.RTTMs)
		c.rtt.Record(us)
		if s != nil {
			s.rttSum += *ev.RTTMs
			s.rttN++
			s.row.PingRTTMs = *ev.RTTMs
		}
	}
	switch ev.Type {
	case "EVENT", "BINARY_EVENT":
		es := c.event(ev.Event, d)
		es.count++
		es.bytes += size
		es.size.Record(size)
		es.rate.Add(ev.TS, 1)
		if ev.ID != nil {
			c.expectAck(s, es, ackKey{ev.Nsp, *ev.ID, d}, ev.TS)
		}
	case "ACK", "BINARY_ACK":
		if ev.ID == nil || s == nil {
			return
		}
		k := ackKey{ev.Nsp, *ev.ID, 1 - d}
		p, ok := s.pending[k]
		if !ok {
			return
		}
		delete(s.pending, k)
		c.pendingN--
		p.ev.pending--
		p.ev.answered++
		us := uint64(ev.TS.Sub(p.at) / time.Microsecond)
		if ev.AckMs != nil {
			us = msToUs(*ev.AckMs)
		}
		if p.ev.ack == nil {
			p.ev.ack = new(Histogram)
		}
		p.ev.ack.Record(us)
		p.ev.ackLe[ackBucket(us)]++
	}
}

func (c *Collector) expectAck(s *sessionStats, es *eventStats, k ackKey, at time.Time) {
	if s == nil || c.pendingN >= c.opt.MaxPendingAcks {
		c.ackLost++
		return
	}
	if s.pending == nil {
		s.pending = map[ackKey]pendingAck{}
	}
	if old, ok := s.pending[k]; ok {
		// The id was reused before its ACK: the first never got one.
		old.ev.pending--
		old.ev.unanswered++
		c.pendingN--
	}
	s.pending[k] = pendingAck{es, at}
	es.pending++
	c.pendingN++
}

// event returns the row of name in direction d, creating it.
func (c *Collector) event(name string, d int) *eventStats {
	idx, ok := c.names[name]
	if !ok {
		idx = 0
		if len(c.nameList) <= c.opt.MaxNames {
			name = clean(name)
			if i, dup := c.names[name]; dup { // cut to the same prefix
				idx = i
			} else {
				idx = len(c.nameList)
				c.nameList = append(c.nameList, name)
				c.names[name] = idx
			}
		}
	}
	k := evKey{idx, d}
	es := c.events[k]
	if es == nil {
		es = &eventStats{rate: NewSeries(eventSlots, time.Second)}
		c.events[k] = es
	}
	return es
}

func (c *Collector) session(ev *event.Event) {
	switch ev.Action {
	case "open":
		c.opened[SessionKind{ev.Transport, ev.EIO}]++
		reconnect := false
		if h := host(ev.Client); h != "" && c.closedHosts[h] {
			reconnect = true
			c.reconnects++
		}
		if c.sessions[ev.Sid] != nil || !c.makeRoom() {
			if c.sessions[ev.Sid] == nil {
				c.untracked++
			}
			return
		}
		c.sessions[ev.Sid] = &sessionStats{
			row: SessionRow{
				Sid: clean(ev.Sid), Client: clean(ev.Client), Transport: ev.Transport, FirstTransport: ev.Transport,
				EIO: ev.EIO, Opened: ev.TS, LastActivity: ev.TS, Reconnect: reconnect,
			},
			pps: NewSeries(sessionSlots, sessionWidth),
			bps: NewSeries(sessionSlots, sessionWidth),
		}
	case "upgrade":
		c.upgrades[handshakeOK]++
		if s := c.sessions[ev.Sid]; s != nil {
			s.row.Transport, s.row.Upgraded = ev.Transport, true
		}
	case "close":
		c.closeReasons[bound(c.closeReasons, clean(ev.Reason), 32)]++
		if h := host(ev.Client); h != "" && len(c.closedHosts) < 4096 {
			c.closedHosts[h] = true
		}
		s := c.sessions[ev.Sid]
		if s == nil || s.row.IsClosed {
			return
		}
		s.row.IsClosed, s.row.Closed, s.row.Reason, s.row.By = true, ev.TS, clean(ev.Reason), ev.By
		// Whatever still waits for an ACK never gets one now.
		for k, p := range s.pending {
			p.ev.pending--
			p.ev.unanswered++
			c.pendingN--
			s.row.UnansweredAcks++
			delete(s.pending, k)
		}
	}
}

// makeRoom makes sure one more session fits, dropping the session that
// closed first if needed. False if every kept session is still open.
func (c *Collector) makeRoom() bool {
	if len(c.sessions) < c.opt.MaxSessions {
		return true
	}
	var victim string
	var at time.Time
	for sid, s := range c.sessions {
		if s.row.IsClosed && (victim == "" || s.row.Closed.Before(at)) {
			victim, at = sid, s.row.Closed
		}
	}
	if victim == "" {
		return false
	}
	delete(c.sessions, victim)
	return true
}

func (c *Collector) http(ev *event.Event) {
	if ev.Error != "" {
		kind, _, ok := strings.Cut(ev.Error, ": ")
		if !ok || strings.ContainsAny(kind, " \t") {
			kind = "other"
		}
		c.relayErrors[bound(c.relayErrors, clean(kind), 16)]++
	}
	// A handshake that worked carries the new sid; the URL has none.
	if ev.Transport == "" || !isHandshake(ev.Path) {
		return
	}
	c.handshakes[handshakeOutcome(ev)]++
}

// isHandshake: an Engine.IO request without a sid.
func isHandshake(uri string) bool {
	_, q, _ := strings.Cut(uri, "?")
	return !strings.Contains("&"+q, "&sid=")
}

// handshakeOutcome labels how a handshake ended: ok, refused (4xx),
// server_error (5xx), no_response (the relay got no answer) or other.
func handshakeOutcome(ev *event.Event) string {
	switch {
	case ev.Error != "" || ev.Status == 0:
		return "no_response"
	case ev.Status == 200 || ev.Status == 101:
		return handshakeOK
	case ev.Status >= 400 && ev.Status < 500:
		return "refused"
	case ev.Status >= 500:
		return "server_error"
	}
	return "other"
}

func (c *Collector) fault(ev *event.Event) {
	f := ev.Fault
	if f == nil {
		return
	}
	key := f.Code + "\x00" + ev.Sid
	seen, ok := c.faultSeen[key]
	n := f.Count - seen
	if n <= 0 {
		if ok {
			return
		}
		n = 1
	}
	if ok || len(c.faultSeen) < 8192 {
		c.faultSeen[key] = max(f.Count, 1)
	}
	code := bound(c.faultsByCode, clean(f.Code), 128)
	c.faultsByCode[code] += uint64(n)
	c.faultsTotal += uint64(n)
	c.faultSeries.Add(ev.TS, float64(n))
	if !ok && upgradeFaults[f.Code] {
		c.upgrades[upgradeFailed]++
	}
	if s := c.sessions[ev.Sid]; s != nil {
		s.row.Faults += n
	}
}

// AckBuckets are the upper bounds, in seconds, of the ack latency
// histograms the metrics endpoint exports.
var AckBuckets = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

func ackBucket(us uint64) int {
	s := float64(us) / 1e6
	for i, b := range AckBuckets {
		if s <= b {
			return i
		}
	}
	return len(AckBuckets)
}

func msToUs(ms float64) uint64 {
	if ms <= 0 {
		return 0
	}
	return uint64(ms*1000 + 0.5)
}

// host is the address without its port.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// bound returns k if m has room for it (n keys), else Other.
func bound[V any](m map[string]V, k string, n int) string {
	if _, ok := m[k]; ok || len(m) < n {
		return k
	}
	return Other
}

// clean cuts a wire string to maxNameLen bytes of valid UTF-8. Escaping
// for a terminal or a page is the views' job.
func clean(s string) string {
	if len(s) <= maxNameLen && utf8.ValidString(s) {
		return strings.Clone(s) // not a view into a larger wire buffer
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxNameLen {
		i := maxNameLen
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return strings.Clone(s)
}
