package report

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/recordings"
	"github.com/sioproxy/sioproxy/stats"
)

// Options configure Build. Zero values take the defaults.
type Options struct {
	// Session configures the decoder and fault rules, as for a replay.
	Session session.Options
	// Redact masks cookies, Authorization and CONNECT auth (recordings.Redact)
	// before anything is decoded, so no secret reaches the page.
	Redact bool
	// MaxPackets caps the packet list; beyond it the list is a uniform
	// random sample of that many packets. Default 20000.
	MaxPackets int
	// MaxSessions caps the sessions on the timeline. Default 500.
	MaxSessions int
	// Title heads the page; default the file name.
	Title string
	// Now stamps the page; default time.Now.
	Now func() time.Time
}

// Limits that keep one session's timeline row and the fault list small.
const (
	maxPolls     = 100 // poll spans drawn per session
	maxMarks     = 50  // fault markers per session
	maxFaults    = 1000
	maxSummary   = 300 // bytes of a packet's arguments shown in the list
	tickInterval = 250 * time.Millisecond
)

// Build reads every observation of r and computes the report's data.
func Build(r *recordings.Reader, name string, opt Options) (*Data, error) {
	if opt.MaxPackets <= 0 {
		opt.MaxPackets = 20000
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Title == "" {
		opt.Title = name
	}
	b := &builder{
		opt:      opt,
		col:      stats.New(stats.Options{}),
		sessions: map[string]*Session{},
		faults:   map[string]*Fault{},
		rng:      rand.New(rand.NewPCG(1, 2)), // the same file gives the same page
		bins:     newBins(),
	}
	tr := session.NewTracker(opt.Session)
	emit := b.event
	var lastTick time.Time
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		b.obs++
		if opt.Redact {
			o = recordings.Redact(o)
		}
		if o.Kind == obs.KindDrop && o.Drop != nil {
			b.recDrops += o.Drop.Count
		}
		tr.Observe(o, emit)
		// Timers run on recorded time, as in a replay, so timeouts fire
		// where they did live.
		if !o.Time.IsZero() && o.Time.Sub(lastTick) >= tickInterval {
			tr.Tick(o.Time, emit)
			lastTick = o.Time
		}
	}
	h := r.Header()
	d := &Data{
		Title: opt.Title, File: name, Generated: ms(opt.Now()),
		Mode: h.Mode, Target: h.Target, Source: h.Source, Redacted: opt.Redact || h.Redacted,
		Observations: b.obs, RecordingDrops: b.recDrops,
		Warnings: r.Warnings(),
	}
	b.finish(d)
	return d, nil
}

type builder struct {
	opt      Options
	col      *stats.Collector
	obs      int
	recDrops uint64

	sessions        map[string]*Session
	order           []*Session
	sessionsOmitted int

	faults        map[string]*Fault
	faultOrder    []*Fault
	faultsOmitted int
	globalMarks   []Mark

	packets []Packet
	seen    int
	rng     *rand.Rand
	bins    *bins
}

func (b *builder) event(ev event.Event) {
	b.col.Observe(&ev)
	switch ev.Kind {
	case event.KindPacket:
		b.packet(&ev)
		b.bins.add(ev.TS, 1, ev.Size, 0)
	case event.KindSession:
		b.sessionEvent(&ev)
	case event.KindHTTP:
		b.http(&ev)
	case event.KindFault:
		b.fault(&ev)
		b.bins.add(ev.TS, 0, 0, 1)
	}
}

func (b *builder) session(sid string) *Session {
	if sid == "" {
		return nil
	}
	if s, ok := b.sessions[sid]; ok {
		return s
	}
	if len(b.order) >= b.opt.MaxSessions {
		// Left out, and not remembered: a recording of a million
		// sessions must not fill a map with their ids.
		return nil
	}
	s := &Session{Sid: sid}
	b.sessions[sid] = s
	b.order = append(b.order, s)
	return s
}

func (b *builder) sessionEvent(ev *event.Event) {
	s := b.session(ev.Sid)
	if s == nil {
		if ev.Action == "open" {
			b.sessionsOmitted++
		}
		return
	}
	t := ms(ev.TS)
	switch ev.Action {
	case "open":
		s.Open, s.Transport, s.FirstTransport, s.EIO, s.Client = t, ev.Transport, ev.Transport, ev.EIO, ev.Client
		s.PingInterval, s.PingTimeout = ev.PingInterval, ev.PingTimeout
	case "upgrade":
		s.Upgrade, s.Transport = t, ev.Transport
	case "close":
		s.Close, s.Reason, s.By, s.Code = t, ev.Reason, ev.By, ev.Code
	}
}

func (b *builder) http(ev *event.Event) {
	if ev.Transport == "" {
		return
	}
	s := b.session(ev.Sid)
	if s == nil {
		return
	}
	end := ms(ev.TS)
	start := end
	if ev.DurationMs != nil {
		start = end - *ev.DurationMs
	}
	_, q, _ := strings.Cut(ev.Path, "?")
	if !strings.Contains("&"+q, "&sid=") {
		s.Handshake = start
		return
	}
	if ev.Transport == "websocket" {
		s.Probe = end
		return
	}
	if len(s.Polls) >= maxPolls {
		s.PollsOmitted++
		return
	}
	s.Polls = append(s.Polls, Span{Start: start, End: end, Method: ev.Method, Status: ev.Status})
}

func (b *builder) fault(ev *event.Event) {
	f := ev.Fault
	if f == nil {
		return
	}
	key := f.Code + "\x00" + ev.Sid
	rec, ok := b.faults[key]
	if !ok {
		if len(b.faultOrder) >= maxFaults {
			b.faultsOmitted++
			return
		}
		rec = &Fault{Code: f.Code, Catalog: f.Catalog, Sid: ev.Sid}
		b.faults[key] = rec
		b.faultOrder = append(b.faultOrder, rec)
		m := Mark{T: ms(ev.TS), Code: f.Code, Severity: string(f.Severity), Summary: f.Summary}
		if s := b.session(ev.Sid); s != nil {
			if len(s.Marks) < maxMarks {
				s.Marks = append(s.Marks, m)
			}
		} else if ev.Sid == "" && len(b.globalMarks) < maxMarks {
			b.globalMarks = append(b.globalMarks, m)
		}
	}
	// A later report of the same fault updates it: keep the latest.
	rec.Severity, rec.Summary, rec.Evidence, rec.Fix = string(f.Severity), f.Summary, slices.Clone(f.Evidence), f.Fix
	rec.Count, rec.First, rec.Last = f.Count, ms(f.First), ms(f.Last)
	if f.First.IsZero() {
		rec.First = ms(ev.TS)
	}
	if f.Last.IsZero() {
		rec.Last = ms(ev.TS)
	}
}

// packet keeps a uniform sample of MaxPackets packets (reservoir sampling).
func (b *builder) packet(ev *event.Event) {
	b.seen++
	n := b.seen
	var slot int
	if len(b.packets) < b.opt.MaxPackets {
		slot = len(b.packets)
		b.packets = append(b.packets, Packet{})
	} else if slot = b.rng.IntN(n); slot >= b.opt.MaxPackets {
		return
	}
	p := Packet{
		N: n, T: ms(ev.TS), Sid: ev.Sid, Dir: ev.Dir, Transport: ev.Transport, Engine: ev.Engine,
		Type: ev.Type, Nsp: ev.Nsp, Event: ev.Event, ID: ev.ID, Size: ev.Size, AckMs: ev.AckMs, RTTMs: ev.RTTMs,
	}
	switch {
	case len(ev.Args) > 0:
		p.Args = cut(string(ev.Args), maxSummary)
	case ev.Data != "":
		p.Args = cut(ev.Data, maxSummary)
	}
	b.packets[slot] = p
}

func (b *builder) finish(d *Data) {
	snap := b.col.Snapshot(24)
	d.Start, d.End = ms(snap.Start), ms(snap.Now)
	d.Stats = viewOf(snap)
	d.Series = b.bins.view()
	// The page's script reads these as arrays: never JSON null.
	d.Sessions, d.Faults, d.Packets = []Session{}, []Fault{}, []Packet{}
	for _, s := range b.order {
		if s.Open == 0 && s.Handshake == 0 {
			s.Open = firstOf(s)
		}
		d.Sessions = append(d.Sessions, *s)
	}
	slices.SortStableFunc(d.Sessions, func(a, b Session) int { return cmpF(startOf(a), startOf(b)) })
	d.SessionsOmitted = b.sessionsOmitted
	for _, f := range b.faultOrder {
		d.Faults = append(d.Faults, *f)
	}
	sevRank := map[string]int{"error": 0, "warning": 1, "info": 2}
	slices.SortStableFunc(d.Faults, func(a, b Fault) int {
		if r := sevRank[a.Severity] - sevRank[b.Severity]; r != 0 {
			return r
		}
		return cmpF(a.First, b.First)
	})
	d.FaultsOmitted = b.faultsOmitted
	d.GlobalMarks = b.globalMarks
	slices.SortFunc(b.packets, func(x, y Packet) int { return x.N - y.N })
	d.Packets = append(d.Packets, b.packets...)
	d.PacketsTotal = b.seen
	d.PacketLimit = b.opt.MaxPackets
	d.Sampled = b.seen > len(b.packets)
}

func startOf(s Session) float64 {
	if s.Handshake != 0 && (s.Open == 0 || s.Handshake < s.Open) {
		return s.Handshake
	}
	return s.Open
}

func firstOf(s *Session) float64 {
	t := s.Close
	for _, p := range s.Polls {
		if t == 0 || p.Start < t {
			t = p.Start
		}
	}
	if s.Probe != 0 && (t == 0 || s.Probe < t) {
		t = s.Probe
	}
	return t
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ms is t in milliseconds since the Unix epoch, what a page's Date takes.
func ms(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e6
}

// cut shortens s to n bytes of valid UTF-8, marking the cut.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
