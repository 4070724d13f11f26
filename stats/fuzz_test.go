package stats

import (
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// FuzzObserve plays arbitrary event sequences (opens, closes, EVENTs with
// and without ids, ACKs, faults, in any order, with tiny bounds) and checks
// that no counter wraps below zero and every EVENT with an id is accounted
// for exactly once: answered, unanswered or pending.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 2, 2, 2, 3, 1, 2, 3, 4, 0, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		c := New(Options{MaxNames: 2, MaxSessions: 2, MaxPendingAcks: 3, MaxNamespaces: 1})
		sids := []string{"A", "B", "C"}
		names := []string{"x", "y", "z", "\xff"}
		withID := 0
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%7, ops[i+1]
			sid := sids[int(arg)%len(sids)]
			dir := []string{"c2s", "s2c"}[arg>>7]
			ackID := int64(arg>>2) % 4
			ev := event.Event{TS: at(i), Sid: sid, Dir: dir}
			switch op {
			case 0:
				ev.Kind, ev.Action, ev.Transport, ev.Client = event.KindSession, "open", "polling", "h:1"
			case 1:
				ev.Kind, ev.Action, ev.Client = event.KindSession, "close", "h:2"
			case 2:
				ev.Kind, ev.Type, ev.Event, ev.Nsp, ev.ID = event.KindPacket, "EVENT", names[int(arg>>4)%len(names)], "/n"+string(rune('a'+arg%3)), &ackID
				if c.sessions[sid] != nil {
					withID++
				}
			case 3:
				ev.Kind, ev.Type, ev.Nsp, ev.ID = event.KindPacket, "ACK", "/n"+string(rune('a'+arg%3)), &ackID
			case 4:
				ev.Kind, ev.Fault = event.KindFault, &event.Fault{Code: names[arg%4], Count: int(arg % 5)}
			case 5:
				ev.Kind, ev.Action, ev.Transport = event.KindSession, "upgrade", "websocket"
			case 6:
				ev.Kind, ev.Type, ev.Event = event.KindPacket, "BINARY_EVENT", "b"
			}
			c.Observe(&ev)
		}
		s := c.Snapshot(4)
		var accounted uint64
		for _, r := range s.Events {
			for _, v := range []uint64{r.Answered, r.Unanswered, r.Pending} {
				if v > 1<<40 {
					t.Fatalf("counter wrapped: %+v", r)
				}
			}
			accounted += r.Answered + r.Unanswered + r.Pending
		}
		if accounted+s.UntrackedAcks < uint64(withID) {
			t.Fatalf("%d EVENTs with ids on kept sessions, %d accounted for (+%d untracked)", withID, accounted, s.UntrackedAcks)
		}
		if c.pendingN < 0 || c.pendingN > 3 {
			t.Fatalf("pending acks %d outside 0..3", c.pendingN)
		}
	})
}
