package stats

import (
	"cmp"
	"slices"
	"time"
)

// Dist summarises a Histogram: quantiles in the histogram's unit scaled by
// Scale (milliseconds for latencies, bytes for sizes) and a few bars.
type Dist struct {
	Count          uint64
	Min, Mean, Max float64
	P50, P90, P99  float64
	Bars           []Bar // in the histogram's raw unit
	Scale          float64
}

func dist(h *Histogram, scale float64, bars int) Dist {
	if h == nil || h.Count() == 0 {
		return Dist{Scale: scale}
	}
	return Dist{
		Count: h.Count(), Scale: scale,
		Min: float64(h.Min()) * scale, Max: float64(h.Max()) * scale,
		Mean: float64(h.Sum()) / float64(h.Count()) * scale,
		P50:  float64(h.Quantile(0.50)) * scale,
		P90:  float64(h.Quantile(0.90)) * scale,
		P99:  float64(h.Quantile(0.99)) * scale,
		Bars: h.Bars(bars),
	}
}

// EventRow is one event name in one direction (the EVENT's; its ACKs go
// the other way).
type EventRow struct {
	Name  string
	Dir   string
	Count uint64
	Bytes uint64
	// Rate is messages per second over the last minute (of event time).
	Rate float64
	Size Dist // bytes
	Ack  Dist // milliseconds from the EVENT to its ACK
	// AckLe counts ACK latencies per AckBuckets bound (not cumulative;
	// the last is above every bound), for the metrics endpoint.
	AckLe      []uint64
	AckSumSec  float64
	Answered   uint64
	Unanswered uint64 // the session closed (or the id was reused) first
	Pending    uint64 // still waiting
}

// SessionRow is one Engine.IO session.
type SessionRow struct {
	Sid, Client    string
	Transport      string // now
	FirstTransport string // at the handshake
	EIO            int
	Upgraded       bool
	Reconnect      bool // an earlier session from the same client host had closed
	Opened         time.Time
	LastActivity   time.Time
	IsClosed       bool
	Closed         time.Time
	Reason, By     string
	Packets, Bytes [2]uint64 // by direction, C2S and S2C
	PingRTTMs      float64   // last
	MeanRTTMs      float64
	Faults         int
	UnansweredAcks uint64
	// Per second over the last SessionWindow, one value per SessionSlot.
	PacketsPerSec, BytesPerSec []float64
}

// TrafficRow counts packets and bytes by direction, type and namespace.
// Type is the Socket.IO packet type, or the Engine.IO one (ping, pong,
// message…) for packets that carry no Socket.IO packet.
type TrafficRow struct {
	Dir, Type, Nsp string
	Packets, Bytes uint64
}

// Snapshot is a copy of everything a Collector knows, safe to keep.
type Snapshot struct {
	Start, Now time.Time
	Packets    [2]uint64
	Bytes      [2]uint64
	// Overall per-second rates over the last five minutes, oldest first.
	PacketsPerSec, BytesPerSec []float64
	// New faults per FaultSlot over the last ten minutes.
	FaultsOverTime []float64
	FaultSlot      time.Duration
	SessionSlot    time.Duration
	// The spans the series cover.
	OverallWindow, SessionWindow, FaultWindow time.Duration

	Events   []EventRow   // by Count, largest first
	Sessions []SessionRow // by Opened
	Traffic  []TrafficRow

	SessionsOpened map[SessionKind]uint64
	SessionsActive map[SessionKind]uint64 // among the kept sessions
	Handshakes     map[string]uint64      // by outcome
	Upgrades       map[string]uint64      // "ok", "failed"
	Reconnects     uint64
	PingRTT        Dist              // milliseconds
	Faults         map[string]uint64 // by code, repeats included
	FaultsTotal    uint64
	CloseReasons   map[string]uint64
	RelayErrors    map[string]uint64 // by kind
	Drops          map[string]uint64 // by queue
	DecodeErrors   uint64

	// What the bounds left out.
	UntrackedSessions uint64
	UntrackedAcks     uint64
	MaxNames          int
	NamesFull         bool // later event names count as Other
}

// Snapshot copies the collector's state. bars is how many bars each
// histogram gets (0: none).
func (c *Collector) Snapshot(bars int) *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	s := &Snapshot{
		Start: c.start, Now: now, Packets: c.packets, Bytes: c.bytes,
		PacketsPerSec: c.pps.Values(now), BytesPerSec: c.bps.Values(now),
		FaultsOverTime: c.faultSeries.Values(now), FaultSlot: c.faultSeries.Width(),
		SessionSlot:   sessionWidth,
		OverallWindow: overallSlots * time.Second, SessionWindow: sessionSlots * sessionWidth, FaultWindow: faultSlots * faultWidth,
		SessionsOpened: cloneMap(c.opened), SessionsActive: map[SessionKind]uint64{},
		Handshakes: cloneMap(c.handshakes), Upgrades: cloneMap(c.upgrades),
		Reconnects: c.reconnects, PingRTT: dist(&c.rtt, 1e-3, bars),
		Faults: cloneMap(c.faultsByCode), FaultsTotal: c.faultsTotal,
		CloseReasons: cloneMap(c.closeReasons), RelayErrors: cloneMap(c.relayErrors),
		Drops: cloneMap(c.drops), DecodeErrors: c.decodeErrors,
		UntrackedSessions: c.untracked, UntrackedAcks: c.ackLost,
		MaxNames: c.opt.MaxNames, NamesFull: len(c.nameList) > c.opt.MaxNames,
	}
	// Values per slot are already per second; FaultsOverTime wants counts.
	for i := range s.FaultsOverTime {
		s.FaultsOverTime[i] *= faultWidth.Seconds()
	}
	for k, e := range c.events {
		r := EventRow{
			Name: c.nameList[k.name], Dir: DirName(k.dir), Count: e.count, Bytes: e.bytes,
			Size: dist(&e.size, 1, bars), Ack: dist(e.ack, 1e-3, bars),
			AckLe: slices.Clone(e.ackLe[:]), Answered: e.answered, Unanswered: e.unanswered, Pending: e.pending,
		}
		if e.ack != nil {
			r.AckSumSec = float64(e.ack.Sum()) / 1e6
		}
		span := min(float64(eventSlots), max(now.Sub(c.start).Seconds(), 1))
		r.Rate = e.rate.Sum(now) / span
		s.Events = append(s.Events, r)
	}
	slices.SortFunc(s.Events, func(a, b EventRow) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Dir, b.Dir))
	})
	for _, ss := range c.sessions {
		r := ss.row
		if ss.rttN > 0 {
			r.MeanRTTMs = ss.rttSum / float64(ss.rttN)
		}
		r.PacketsPerSec, r.BytesPerSec = ss.pps.Values(now), ss.bps.Values(now)
		s.Sessions = append(s.Sessions, r)
		if !r.IsClosed {
			s.SessionsActive[SessionKind{r.Transport, r.EIO}]++
		}
	}
	slices.SortFunc(s.Sessions, func(a, b SessionRow) int {
		return cmp.Or(a.Opened.Compare(b.Opened), cmp.Compare(a.Sid, b.Sid))
	})
	for k, v := range c.traffic {
		s.Traffic = append(s.Traffic, TrafficRow{Dir: DirName(k.dir), Type: k.typ, Nsp: k.nsp, Packets: v[0], Bytes: v[1]})
	}
	slices.SortFunc(s.Traffic, func(a, b TrafficRow) int {
		return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Nsp, b.Nsp))
	})
	return s
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
