package diagnose

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// ackRef names one EVENT waiting for its ACK.
type ackRef struct {
	nsp string
	id  int64
	dir decode.Dir
}

const maxAcksFlagged = 256

// tickAcks is G5: EVENTs with an ack id whose ACK has not come within
// Options.AckTimeout ("my callback never fires").
func (e *Engine) tickAcks(now time.Time, ss *sidState, emit func(event.Event)) {
	if e.opts.AckTimeout < 0 || ss.s.PendingAcks() == 0 {
		return
	}
	e.overdueAcks(ss, func(a session.PendingAck) bool { return now.Sub(a.At) > e.opts.AckTimeout }, now, "", emit)
}

// acksAtClose is G5 for the ACKs a session never got before it ended: the
// reply was lost with the connection, or the handler never called back.
// An EVENT sent less than Slack before the end had no time for a reply.
func (e *Engine) acksAtClose(ev *event.Event, ss *sidState, emit func(event.Event)) {
	s := ss.s
	if s.PendingAcks() == 0 {
		return
	}
	end := s.Close.At
	why := fmt.Sprintf("the session ended (%s by the %s) before it came", s.Close.Reason, s.Close.By)
	e.overdueAcks(ss, func(a session.PendingAck) bool { return end.Sub(a.At) >= e.opts.Slack }, ev.TS, why, emit)
}

// overdueAcks reports, once each, the pending acks that due says are late,
// one finding per event name and direction.
func (e *Engine) overdueAcks(ss *sidState, due func(session.PendingAck) bool, at time.Time, ended string, emit func(event.Event)) {
	s := ss.s
	var late []session.PendingAck
	s.EachPendingAck(func(a session.PendingAck) {
		if _, done := ss.acksFlagged[ackRef{a.Nsp, a.ID, a.Dir}]; !done && due(a) {
			late = append(late, a)
		}
	})
	if len(late) == 0 {
		return
	}
	slices.SortFunc(late, func(a, b session.PendingAck) int { return a.At.Compare(b.At) })
	if ss.acksFlagged == nil {
		ss.acksFlagged = make(map[ackRef]struct{})
	}
	type group struct {
		first session.PendingAck
		ids   []string
	}
	var order []string
	groups := map[string]*group{}
	for _, a := range late {
		if len(ss.acksFlagged) < maxAcksFlagged {
			ss.acksFlagged[ackRef{a.Nsp, a.ID, a.Dir}] = struct{}{}
		}
		k := a.Dir.String() + "|" + a.Nsp + "|" + a.Event
		g := groups[k]
		if g == nil {
			g = &group{first: a}
			groups[k] = g
			order = append(order, k)
		}
		if len(g.ids) < 8 {
			g.ids = append(g.ids, strconv.FormatInt(a.ID, 10))
		}
	}
	for _, k := range order {
		g := groups[k]
		a := g.first
		from, to := "client", "server"
		if a.Dir == decode.S2C {
			from, to = "server", "client"
		}
		name := strconv.Quote(clip(a.Event, 60))
		f := finding{
			code: CodeAckTimeout, sid: s.Sid, client: s.Client, at: at, key: hostOf(s.Client) + "|" + k,
			evidence: []string{fmt.Sprintf("%s EVENT %s %s id %s at %s", a.Dir, a.Nsp, name, joinIDs(g.ids), a.At.Format("15:04:05.000"))},
			fix: fmt.Sprintf("Make the %s's handler for %s call its acknowledgement callback on every path (errors included); on the %s, `socket.timeout(ms).emit(%s, …, (err, res) => …)` turns a missing reply into an error, and `retries` (client ≥ 4.6) or connectionStateRecovery resends what a reconnect lost.",
				to, name, from, name),
		}
		if ended == "" {
			f.summary = fmt.Sprintf("The %s's EVENT %s on %s (session %s, ack id %s) got no ACK from the %s within %s: its handler does not call back, or the reply was lost",
				from, name, a.Nsp, s.Sid, joinIDs(g.ids), to, dur(e.opts.AckTimeout))
		} else {
			f.summary = fmt.Sprintf("The %s's EVENT %s on %s (session %s, ack id %s, sent %s before the end) never got its ACK: %s; the callback will never fire",
				from, name, a.Nsp, s.Sid, joinIDs(g.ids), dur(s.Close.At.Sub(a.At)), ended)
		}
		e.report(f, emit)
	}
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	return out
}
