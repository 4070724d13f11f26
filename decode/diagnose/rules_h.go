package diagnose

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// defaultMaxPayload is maxHttpBufferSize's default (engine.io ≥ 3.6 and
// every v4 server).
const defaultMaxPayload = 1_000_000

func maxPayload(s *session.Session) int64 {
	if s.HasOpen && s.Open.HasMaxPayload && s.Open.MaxPayload > 0 {
		return s.Open.MaxPayload
	}
	return defaultMaxPayload
}

func mpSource(s *session.Session) string {
	if s.HasOpen && s.Open.HasMaxPayload {
		return "maxPayload from the open packet"
	}
	if s.EIO == eio.V3 {
		return "the v3 default"
	}
	return "the default"
}

// checkPostSize is H1 on polling: a POST body over maxPayload, or a 413.
func (e *Engine) checkPostSize(ss *sidState, x *obs.HTTPExchange, emit func(event.Event)) {
	if x.Method != http.MethodPost {
		return
	}
	s := ss.s
	mp := maxPayload(s)
	if x.ReqLen <= mp && x.Status != http.StatusRequestEntityTooLarge {
		return
	}
	f := finding{code: CodePayloadTooLarge, sid: s.Sid, client: s.Client, at: x.End, evidence: []string{httpLine(x)}}
	if x.ReqLen > mp {
		f.summary = fmt.Sprintf("A POST of session %s carried %d bytes, over maxHttpBufferSize %d (%s)", s.Sid, x.ReqLen, mp, mpSource(s))
		if x.Status == http.StatusRequestEntityTooLarge {
			f.summary += "; the server answered 413"
		} else if x.Status != 0 {
			f.summary += fmt.Sprintf("; the answer was %d", x.Status)
		}
	} else {
		f.summary = fmt.Sprintf("A POST of session %s with %d bytes was answered 413 Payload Too Large: the server's maxHttpBufferSize is lower", s.Sid, x.ReqLen)
	}
	e.report(f, emit)
}

// observeWSMsg is H1 on WebSocket: a client message over maxPayload.
func (e *Engine) observeWSMsg(o obs.Obs, s *session.Session, emit func(event.Event)) {
	m := o.WSMsg
	if m.Opcode != 1 && m.Opcode != 2 {
		return
	}
	size := int64(len(m.Data))
	if !m.Compressed && int64(m.WireLen-14) > size {
		size = int64(m.WireLen - 14)
	}
	mp := maxPayload(s)
	if size >= min(mp, bigMessage) {
		// Remembered for a close without close frame right after it.
		if ss := e.sid(s); ss != nil {
			ss.big = bigMsg{conn: m.Conn, dir: m.Dir, size: size, at: o.Time}
		}
	}
	if m.Dir != decode.C2S || size <= mp {
		return
	}
	ss := e.sid(s)
	if ss == nil || ss.h1 {
		return
	}
	ss.h1 = true
	e.report(finding{
		code: CodePayloadTooLarge, sid: s.Sid, client: s.Client, at: o.Time,
		summary:  fmt.Sprintf("The client sent a %d-byte WebSocket message on session %s, over maxHttpBufferSize %d (%s)", size, s.Sid, mp, mpSource(s)),
		evidence: []string{frameLine(m.Conn, "c2s", fmt.Sprintf("%d bytes", size))},
	}, emit)
}

// observeWSClose confirms H1 by close code 1009.
func (e *Engine) observeWSClose(o obs.Obs, s *session.Session, emit func(event.Event)) {
	x := o.WSClose
	if x.Code != 1009 {
		return
	}
	ss := e.sid(s)
	if ss == nil {
		return
	}
	f := finding{
		code: CodePayloadTooLarge, sid: s.Sid, client: s.Client, at: o.Time, refine: ss.h1,
		summary:  fmt.Sprintf("The %s closed the WebSocket of session %s with 1009 (message too big): a message exceeded maxHttpBufferSize %d (%s)", orNone(x.By), s.Sid, maxPayload(s), mpSource(s)),
		evidence: []string{fmt.Sprintf("ws#%d close 1009 %s", x.Conn, clip(x.Reason, 60))},
	}
	ss.h1 = true
	e.report(f, emit)
}

// checkOverlap is H2: two requests of one method in flight for one sid,
// the later one refused (400 since engine.io 6.4.2, 500 before).
func (e *Engine) checkOverlap(ss *sidState, x *obs.HTTPExchange, emit func(event.Event)) {
	if (x.Method != http.MethodGet && x.Method != http.MethodPost) || x.Start.IsZero() {
		return
	}
	s := ss.s
	for i := range s.Requests {
		r := &s.Requests[i]
		// The times first: they sit in the history itself, while each
		// method is a string of its own elsewhere on the heap (one per
		// request), and following 64 of those pointers per exchange was
		// most of this rule's cost.
		if r.Exchange == x.ID || r.Start.IsZero() || !(r.Start.Before(x.End) && x.Start.Before(r.End)) {
			continue
		}
		if r.Method != x.Method {
			continue
		}
		later := x.Status
		if r.Start.After(x.Start) {
			later = r.Status
		}
		if later != http.StatusBadRequest && later != http.StatusInternalServerError {
			continue
		}
		first, second := r.Exchange, x.ID
		if r.Start.After(x.Start) {
			first, second = second, first
		}
		e.report(finding{
			code: CodePollOverlap, sid: s.Sid, client: s.Client, at: x.End,
			summary:  fmt.Sprintf("Two %s requests of session %s were in flight at once (#%d and #%d); the later one was answered %d and the session is dead", x.Method, s.Sid, first, second, later),
			evidence: []string{httpLine(x), fmt.Sprintf("%s #%d %s–%s → %d", r.Method, r.Exchange, r.Start.Format("15:04:05.000"), r.End.Format("15:04:05.000"), r.Status)},
		}, emit)
		return
	}
}

// bigMessage is the size from which a message is large enough for a close
// right after it to be blamed on it, whatever maxPayload says.
const bigMessage = 1 << 20

// bigMsg is the last large WebSocket message of a session.
type bigMsg struct {
	conn uint64
	dir  decode.Dir
	size int64
	at   time.Time
}

// closeAfterBig is H1 from the close: the WebSocket ended without a close
// frame (the peer sees 1006) within a second of a large message, the mark
// of a size limit enforced by cutting the connection (an older server, an
// intermediary's buffer).
func (e *Engine) closeAfterBig(ev *event.Event, ss *sidState, emit func(event.Event)) {
	s := ss.s
	b := ss.big
	if b.size == 0 || ev.Conn != b.conn || s.Close.Trigger != "ws_close" || !strings.HasPrefix(s.Close.How, "TCP") || ss.h1 && b.dir == decode.C2S {
		return
	}
	gap := s.Close.At.Sub(b.at)
	if gap < 0 || gap > time.Second {
		return
	}
	ss.h1 = true
	e.report(finding{
		code: CodePayloadTooLarge, sid: s.Sid, client: s.Client, at: ev.TS,
		summary: fmt.Sprintf("The WebSocket of session %s ended without a close frame (%s, the peer sees 1006) %s after a %d-byte %s message: a size limit cut the connection (maxHttpBufferSize %d, %s, or an intermediary's buffer)",
			s.Sid, s.Close.How, dur(gap), b.size, b.dir, maxPayload(s), mpSource(s)),
		evidence: []string{frameLine(b.conn, b.dir.String(), fmt.Sprintf("%d bytes", b.size)), fmt.Sprintf("ws#%d closed by the %s: %s", b.conn, s.Close.By, s.Close.How)},
	}, emit)
}
