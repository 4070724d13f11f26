package stats

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func id(n int64) *int64 { return &n }

func open(sid, client string, ms int) event.Event {
	return event.Event{TS: at(ms), Kind: event.KindSession, Action: "open", Sid: sid, Transport: "polling", EIO: 4, Client: client}
}

func emit(sid, dir, name string, ackID *int64, size, ms int) event.Event {
	return event.Event{TS: at(ms), Kind: event.KindPacket, Sid: sid, Dir: dir, Engine: "message", Type: "EVENT", Nsp: "/", Event: name, ID: ackID, Size: size}
}

func ack(sid, dir string, ackID int64, ms int) event.Event {
	return event.Event{TS: at(ms), Kind: event.KindPacket, Sid: sid, Dir: dir, Engine: "message", Type: "ACK", Nsp: "/", ID: id(ackID), Size: 5}
}

func feed(c *Collector, evs ...event.Event) {
	for i := range evs {
		c.Observe(&evs[i])
	}
}

func row(t *testing.T, s *Snapshot, name, dir string) EventRow {
	t.Helper()
	for _, r := range s.Events {
		if r.Name == name && r.Dir == dir {
			return r
		}
	}
	t.Fatalf("no row for %q %s in %+v", name, dir, s.Events)
	return EventRow{}
}

func TestAckLatencyPerEvent(t *testing.T) {
	c := New(Options{})
	feed(c,
		open("S1", "127.0.0.1:5000", 0),
		emit("S1", "c2s", "save", id(1), 40, 10),
		emit("S1", "c2s", "save", id(2), 60, 20),
		emit("S1", "s2c", "save", id(1), 10, 25), // same id, other direction: another EVENT
		ack("S1", "s2c", 1, 110),                 // answers the c2s save 1 after 100 ms
		ack("S1", "s2c", 2, 320),                 // 300 ms
		emit("S1", "c2s", "save", id(3), 50, 400),
		emit("S1", "c2s", "chat", nil, 20, 410),
		event.Event{TS: at(500), Kind: event.KindSession, Action: "close", Sid: "S1", Reason: "transport close", By: "client", Client: "127.0.0.1:5000"},
	)
	s := c.Snapshot(8)
	save := row(t, s, "save", "c2s")
	if save.Count != 3 || save.Bytes != 150 {
		t.Errorf("save c2s: %d messages %d bytes, want 3 and 150", save.Count, save.Bytes)
	}
	if save.Answered != 2 || save.Unanswered != 1 || save.Pending != 0 {
		t.Errorf("save c2s acks: answered %d unanswered %d pending %d, want 2 1 0", save.Answered, save.Unanswered, save.Pending)
	}
	if save.Ack.Count != 2 || save.Ack.Max != 300 || save.Ack.Min != 100 {
		t.Errorf("save ack latency %+v, want 2 values, 100 to 300 ms", save.Ack)
	}
	if save.Ack.P50 < 87.5 || save.Ack.P50 > 112.5 {
		t.Errorf("p50 %v ms, want about 100", save.Ack.P50)
	}
	if save.AckLe[ackBucket(100_000)] != 1 || save.AckLe[ackBucket(300_000)] != 1 {
		t.Errorf("ack buckets %v: want 100 ms and 300 ms counted", save.AckLe)
	}
	back := row(t, s, "save", "s2c")
	if back.Unanswered != 1 || back.Answered != 0 {
		t.Errorf("save s2c: answered %d unanswered %d, want 0 and 1", back.Answered, back.Unanswered)
	}
	if chat := row(t, s, "chat", "c2s"); chat.Answered+chat.Unanswered+chat.Pending != 0 {
		t.Errorf("chat asked for no ack: %+v", chat)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].UnansweredAcks != 2 || !s.Sessions[0].IsClosed || s.Sessions[0].Reason != "transport close" {
		t.Errorf("session rows %+v", s.Sessions)
	}
	if s.Packets[0] != 4 || s.Packets[1] != 3 {
		t.Errorf("packets by direction %v, want [4 3]", s.Packets)
	}
}

func TestPendingAcksAndReuse(t *testing.T) {
	c := New(Options{})
	feed(c, open("S", "", 0), emit("S", "c2s", "q", id(7), 1, 1), emit("S", "c2s", "q", id(7), 1, 2))
	r := row(t, c.Snapshot(0), "q", "c2s")
	if r.Pending != 1 || r.Unanswered != 1 {
		t.Fatalf("pending %d unanswered %d, want 1 and 1 (a reused id)", r.Pending, r.Unanswered)
	}
}

func TestNamesBounded(t *testing.T) {
	c := New(Options{MaxNames: 3})
	feed(c, open("S", "", 0))
	for i := range 10 {
		feed(c, emit("S", "c2s", fmt.Sprintf("e%d", i), nil, 1, i))
	}
	long := strings.Repeat("x", 500) + "\xff"
	feed(c, emit("S", "s2c", long, nil, 1, 20))
	s := c.Snapshot(0)
	names := map[string]uint64{}
	for _, r := range s.Events {
		names[r.Name] += r.Count
		if len(r.Name) > maxNameLen+3 {
			t.Errorf("name of %d bytes kept", len(r.Name))
		}
	}
	if len(names) != 4 || names[Other] != 8 || names["e0"] != 1 || !s.NamesFull {
		t.Fatalf("names %v, want e0..e2 and (other) with 8", names)
	}
}

func TestFaultsCountRepeatsOnce(t *testing.T) {
	c := New(Options{})
	f := func(code string, n, ms int) event.Event {
		return event.Event{TS: at(ms), Kind: event.KindFault, Sid: "S", Fault: &event.Fault{Code: code, Count: n}}
	}
	feed(c, open("S", "", 0), f("pong_missing", 1, 10), f("pong_missing", 3, 20), f("pong_missing", 3, 30), f("upgrade_probe_unanswered", 1, 40))
	s := c.Snapshot(0)
	if s.Faults["pong_missing"] != 3 || s.FaultsTotal != 4 || s.Upgrades["failed"] != 1 {
		t.Fatalf("faults %v total %d upgrades %v, want pong_missing 3, total 4, 1 failed upgrade", s.Faults, s.FaultsTotal, s.Upgrades)
	}
	var overTime float64
	for _, v := range s.FaultsOverTime {
		overTime += v
	}
	if overTime != 4 || s.Sessions[0].Faults != 4 {
		t.Fatalf("faults over time sum %v, session %d, want 4", overTime, s.Sessions[0].Faults)
	}
}

func TestHandshakesUpgradesReconnects(t *testing.T) {
	c := New(Options{})
	hs := func(status int, errS string) event.Event {
		return event.Event{TS: at(0), Kind: event.KindHTTP, Transport: "polling", Method: "GET", Path: "/socket.io/?EIO=4&transport=polling&t=x", Status: status, Error: errS}
	}
	ok := hs(200, "")
	ok.Sid = "A" // the tracker names the session it opened
	feed(c,
		ok, hs(400, ""), hs(502, "dial: connection refused"),
		event.Event{TS: at(1), Kind: event.KindHTTP, Transport: "polling", Path: "/socket.io/?EIO=4&transport=polling&sid=abc", Status: 200},
		open("A", "10.0.0.1:1000", 1),
		event.Event{TS: at(2), Kind: event.KindSession, Action: "upgrade", Sid: "A", Transport: "websocket"},
		event.Event{TS: at(3), Kind: event.KindSession, Action: "close", Sid: "A", Client: "10.0.0.1:1000", Reason: "ping timeout"},
		open("B", "10.0.0.1:1001", 4),
		open("C", "10.0.0.2:1000", 5),
		event.Event{TS: at(6), Kind: event.KindDrop, Where: "observations", Dropped: 5},
		event.Event{TS: at(6), Kind: event.KindError, Error: "eio: bad"},
	)
	s := c.Snapshot(0)
	if s.Handshakes["ok"] != 1 || s.Handshakes["refused"] != 1 || s.Handshakes["no_response"] != 1 || len(s.Handshakes) != 3 {
		t.Errorf("handshakes %v", s.Handshakes)
	}
	if s.RelayErrors["dial"] != 1 {
		t.Errorf("relay errors %v, want dial 1", s.RelayErrors)
	}
	if s.Upgrades["ok"] != 1 || s.Reconnects != 1 {
		t.Errorf("upgrades %v reconnects %d, want 1 and 1", s.Upgrades, s.Reconnects)
	}
	if s.SessionsOpened[SessionKind{"polling", 4}] != 3 || s.SessionsActive[SessionKind{"polling", 4}] != 2 {
		t.Errorf("opened %v active %v", s.SessionsOpened, s.SessionsActive)
	}
	if s.Drops["observations"] != 5 || s.DecodeErrors != 1 || s.CloseReasons["ping timeout"] != 1 {
		t.Errorf("drops %v decode errors %d closes %v", s.Drops, s.DecodeErrors, s.CloseReasons)
	}
	if !s.Sessions[1].Reconnect || s.Sessions[0].Transport != "websocket" || !s.Sessions[0].Upgraded {
		t.Errorf("sessions %+v", s.Sessions)
	}
}

func TestSessionsBounded(t *testing.T) {
	c := New(Options{MaxSessions: 2})
	feed(c, open("A", "", 0), open("B", "", 1),
		event.Event{TS: at(2), Kind: event.KindSession, Action: "close", Sid: "A"},
		open("C", "", 3), open("D", "", 4))
	s := c.Snapshot(0)
	if len(s.Sessions) != 2 || s.Sessions[0].Sid != "B" || s.Sessions[1].Sid != "C" || s.UntrackedSessions != 1 {
		t.Fatalf("sessions %v untracked %d: want B and C kept, D untracked", s.Sessions, s.UntrackedSessions)
	}
}

func TestRatesAndRTT(t *testing.T) {
	c := New(Options{})
	feed(c, open("S", "", 0))
	for i := range 100 {
		feed(c, event.Event{TS: at(i * 10), Kind: event.KindPacket, Sid: "S", Dir: "s2c", Engine: "message", Type: "EVENT", Nsp: "/", Event: "tick", Size: 100})
	}
	rtt := 12.5
	feed(c, event.Event{TS: at(999), Kind: event.KindPacket, Sid: "S", Dir: "c2s", Engine: "pong", RTTMs: &rtt, Size: 1})
	s := c.Snapshot(0)
	if last := s.PacketsPerSec[len(s.PacketsPerSec)-1]; last != 101 {
		t.Errorf("last second %v packets/s, want 101", last)
	}
	if b := s.BytesPerSec[len(s.BytesPerSec)-1]; b != 10001 {
		t.Errorf("last second %v bytes/s, want 10001", b)
	}
	if s.PingRTT.Count != 1 || s.PingRTT.Max != 12.5 || s.Sessions[0].PingRTTMs != 12.5 {
		t.Errorf("rtt %+v session %v", s.PingRTT, s.Sessions[0].PingRTTMs)
	}
	tick := row(t, s, "tick", "s2c")
	if tick.Rate != 100 {
		t.Errorf("tick rate %v/s, want 100 (100 in the first second)", tick.Rate)
	}
	var pong bool
	for _, r := range s.Traffic {
		if r.Type == "pong" && r.Dir == "c2s" && r.Packets == 1 {
			pong = true
		}
	}
	if !pong {
		t.Errorf("traffic %v: no pong row", s.Traffic)
	}
}
