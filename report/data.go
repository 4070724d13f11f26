package report

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/sioproxy/sioproxy/stats"
)

// Data is everything the page shows, embedded in it as JSON. Times are
// milliseconds since the Unix epoch; 0 means unknown.
type Data struct {
	Title          string   `json:"title"`
	File           string   `json:"file"`
	Generated      float64  `json:"generated"`
	Mode           string   `json:"mode,omitempty"`
	Target         string   `json:"target,omitempty"`
	Source         string   `json:"source,omitempty"`
	Redacted       bool     `json:"redacted"`
	Observations   int      `json:"observations"`
	RecordingDrops uint64   `json:"recording_drops"`
	Warnings       []string `json:"warnings,omitempty"`
	Start          float64  `json:"start"`
	End            float64  `json:"end"`

	Sessions        []Session `json:"sessions"`
	SessionsOmitted int       `json:"sessions_omitted"`
	GlobalMarks     []Mark    `json:"global_marks,omitempty"`
	Faults          []Fault   `json:"faults"`
	FaultsOmitted   int       `json:"faults_omitted"`
	Stats           StatsView `json:"stats"`
	Series          Series    `json:"series"`

	Packets      []Packet `json:"packets"`
	PacketsTotal int      `json:"packets_total"`
	PacketLimit  int      `json:"packet_limit"`
	Sampled      bool     `json:"sampled"`
}

// Session is one timeline row.
type Session struct {
	Sid            string  `json:"sid"`
	Client         string  `json:"client,omitempty"`
	Transport      string  `json:"transport,omitempty"`
	FirstTransport string  `json:"first_transport,omitempty"`
	EIO            int     `json:"eio,omitempty"`
	PingInterval   int     `json:"ping_interval,omitempty"`
	PingTimeout    int     `json:"ping_timeout,omitempty"`
	Handshake      float64 `json:"handshake,omitempty"`
	Open           float64 `json:"open,omitempty"`
	Probe          float64 `json:"probe,omitempty"`   // the WebSocket upgrade request
	Upgrade        float64 `json:"upgrade,omitempty"` // the upgrade completed
	Close          float64 `json:"close,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	By             string  `json:"by,omitempty"`
	Code           int     `json:"code,omitempty"`
	Polls          []Span  `json:"polls,omitempty"`
	PollsOmitted   int     `json:"polls_omitted,omitempty"`
	Marks          []Mark  `json:"marks,omitempty"`
}

// Span is one HTTP long-polling request of a session.
type Span struct {
	Start  float64 `json:"s"`
	End    float64 `json:"e"`
	Method string  `json:"m"`
	Status int     `json:"st"`
}

// Mark is a fault on the timeline, at its first report.
type Mark struct {
	T        float64 `json:"t"`
	Code     string  `json:"code"`
	Severity string  `json:"severity"`
	Summary  string  `json:"summary"`
}

// Fault is a diagnosed fault as last reported.
type Fault struct {
	Code     string   `json:"code"`
	Catalog  string   `json:"catalog"`
	Severity string   `json:"severity"`
	Sid      string   `json:"sid,omitempty"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
	Fix      string   `json:"fix"`
	Count    int      `json:"count"`
	First    float64  `json:"first"`
	Last     float64  `json:"last"`
}

// Packet is one row of the packet list.
type Packet struct {
	N         int      `json:"n"` // position among all packets, from 1
	T         float64  `json:"t"`
	Sid       string   `json:"sid,omitempty"`
	Dir       string   `json:"dir"`
	Transport string   `json:"tr,omitempty"`
	Engine    string   `json:"eng,omitempty"`
	Type      string   `json:"type,omitempty"`
	Nsp       string   `json:"nsp,omitempty"`
	Event     string   `json:"ev,omitempty"`
	ID        *int64   `json:"id,omitempty"`
	Size      int      `json:"size"`
	Args      string   `json:"args,omitempty"`
	AckMs     *float64 `json:"ack_ms,omitempty"`
	RTTMs     *float64 `json:"rtt_ms,omitempty"`
}

// StatsView is a stats.Snapshot in a shape JSON and the page's script take.
type StatsView struct {
	Packets       [2]uint64          `json:"packets"`
	Bytes         [2]uint64          `json:"bytes"`
	Events        []EventView        `json:"events"`
	Sessions      []SessionView      `json:"sessions"`
	Traffic       []stats.TrafficRow `json:"traffic"`
	SessionKinds  []KindCount        `json:"session_kinds"`
	Handshakes    map[string]uint64  `json:"handshakes"`
	Upgrades      map[string]uint64  `json:"upgrades"`
	Reconnects    uint64             `json:"reconnects"`
	PingRTT       DistView           `json:"ping_rtt"`
	Faults        map[string]uint64  `json:"faults"`
	FaultsTotal   uint64             `json:"faults_total"`
	CloseReasons  map[string]uint64  `json:"close_reasons"`
	RelayErrors   map[string]uint64  `json:"relay_errors"`
	Drops         map[string]uint64  `json:"drops"`
	DecodeErrors  uint64             `json:"decode_errors"`
	MaxNames      int                `json:"max_names"`
	NamesFull     bool               `json:"names_full"`
	UntrackedAcks uint64             `json:"untracked_acks"`
	UntrackedSess uint64             `json:"untracked_sessions"`
}

// KindCount is sessions opened with a transport and Engine.IO version.
type KindCount struct {
	Transport string `json:"transport"`
	EIO       int    `json:"eio"`
	Opened    uint64 `json:"opened"`
}

// EventView is a stats.EventRow.
type EventView struct {
	Name       string   `json:"name"`
	Dir        string   `json:"dir"`
	Count      uint64   `json:"count"`
	Bytes      uint64   `json:"bytes"`
	Size       DistView `json:"size"`
	Ack        DistView `json:"ack"`
	Answered   uint64   `json:"answered"`
	Unanswered uint64   `json:"unanswered"`
	Pending    uint64   `json:"pending"`
}

// DistView is a stats.Dist with its bars scaled to the quantiles' unit.
type DistView struct {
	Count uint64    `json:"count"`
	Min   float64   `json:"min"`
	Mean  float64   `json:"mean"`
	Max   float64   `json:"max"`
	P50   float64   `json:"p50"`
	P90   float64   `json:"p90"`
	P99   float64   `json:"p99"`
	Bars  []BarView `json:"bars,omitempty"`
}

// BarView is one histogram bar: values from Lo to Hi.
type BarView struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count uint64  `json:"n"`
}

// SessionView is a stats.SessionRow.
type SessionView struct {
	Sid            string    `json:"sid"`
	Client         string    `json:"client,omitempty"`
	Transport      string    `json:"transport"`
	EIO            int       `json:"eio"`
	Upgraded       bool      `json:"upgraded"`
	Reconnect      bool      `json:"reconnect"`
	Packets        [2]uint64 `json:"packets"`
	Bytes          [2]uint64 `json:"bytes"`
	PingRTTMs      float64   `json:"rtt_ms"`
	Faults         int       `json:"faults"`
	UnansweredAcks uint64    `json:"unanswered_acks"`
	Reason         string    `json:"reason,omitempty"`
}

func distView(d stats.Dist) DistView {
	v := DistView{Count: d.Count, Min: d.Min, Mean: d.Mean, Max: d.Max, P50: d.P50, P90: d.P90, P99: d.P99}
	for _, b := range d.Bars {
		v.Bars = append(v.Bars, BarView{Lo: float64(b.Lo) * d.Scale, Hi: float64(b.Hi) * d.Scale, Count: b.Count})
	}
	return v
}

func viewOf(s *stats.Snapshot) StatsView {
	v := StatsView{
		Packets: s.Packets, Bytes: s.Bytes, Traffic: s.Traffic,
		Handshakes: s.Handshakes, Upgrades: s.Upgrades, Reconnects: s.Reconnects,
		PingRTT: distView(s.PingRTT), Faults: s.Faults, FaultsTotal: s.FaultsTotal,
		CloseReasons: s.CloseReasons, RelayErrors: s.RelayErrors, Drops: s.Drops, DecodeErrors: s.DecodeErrors,
		MaxNames: s.MaxNames, NamesFull: s.NamesFull, UntrackedAcks: s.UntrackedAcks, UntrackedSess: s.UntrackedSessions,
	}
	for _, e := range s.Events {
		v.Events = append(v.Events, EventView{
			Name: e.Name, Dir: e.Dir, Count: e.Count, Bytes: e.Bytes, Size: distView(e.Size), Ack: distView(e.Ack),
			Answered: e.Answered, Unanswered: e.Unanswered, Pending: e.Pending,
		})
	}
	for _, r := range s.Sessions {
		v.Sessions = append(v.Sessions, SessionView{
			Sid: r.Sid, Client: r.Client, Transport: r.Transport, EIO: r.EIO, Upgraded: r.Upgraded, Reconnect: r.Reconnect,
			Packets: r.Packets, Bytes: r.Bytes, PingRTTMs: r.PingRTTMs, Faults: r.Faults, UnansweredAcks: r.UnansweredAcks, Reason: r.Reason,
		})
	}
	for _, k := range slices.SortedFunc(maps.Keys(s.SessionsOpened), func(a, b stats.SessionKind) int {
		return cmp.Or(cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.EIO, b.EIO))
	}) {
		v.SessionKinds = append(v.SessionKinds, KindCount{Transport: k.Transport, EIO: k.EIO, Opened: s.SessionsOpened[k]})
	}
	return v
}

// Series is packets, bytes and faults over the whole recording, in Width
// slots from Start.
type Series struct {
	Start   float64   `json:"start"`
	Width   float64   `json:"width_ms"`
	Packets []float64 `json:"packets"`
	Bytes   []float64 `json:"bytes"`
	Faults  []float64 `json:"faults"`
}

// bins counts over time in at most maxBins slots, doubling their width
// whenever the recording outgrows them, so memory stays fixed however
// long the recording is.
type bins struct {
	start  time.Time
	width  time.Duration
	counts [][3]float64
}

const maxBins = 512

func newBins() *bins { return &bins{width: time.Second} }

func (b *bins) add(t time.Time, packets, bytes, faults int) {
	if t.IsZero() {
		return
	}
	if b.start.IsZero() {
		b.start = t.Truncate(time.Second)
	}
	if t.Before(b.start) {
		return // a straggler from before the first packet seen
	}
	i := int(t.Sub(b.start) / b.width)
	for i >= maxBins {
		for j := 0; j < len(b.counts); j += 2 {
			c := b.counts[j]
			if j+1 < len(b.counts) {
				for k := range c {
					c[k] += b.counts[j+1][k]
				}
			}
			b.counts[j/2] = c
		}
		b.counts = b.counts[:(len(b.counts)+1)/2]
		b.width *= 2
		i = int(t.Sub(b.start) / b.width)
	}
	for len(b.counts) <= i {
		b.counts = append(b.counts, [3]float64{})
	}
	b.counts[i][0] += float64(packets)
	b.counts[i][1] += float64(bytes)
	b.counts[i][2] += float64(faults)
}

func (b *bins) view() Series {
	s := Series{Start: ms(b.start), Width: float64(b.width) / 1e6}
	for _, c := range b.counts {
		s.Packets = append(s.Packets, c[0])
		s.Bytes = append(s.Bytes, c[1])
		s.Faults = append(s.Faults, c[2])
	}
	return s
}
