package diagnose

import (
	"fmt"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// sessionClosed labels abnormal session ends. The Tracker's close event
// already carries reason, side and code; a J fault is added only when the
// end was abnormal and no other fault of the session explains it. A ping
// timeout is F1, a session-unknown end is C1 or A, a 1009 is H1.
func (e *Engine) sessionClosed(ev *event.Event, s *session.Session, emit func(event.Event)) {
	ss := e.sid(s)
	if ss == nil {
		return
	}
	ci := s.Close
	e.csrClosed(s)
	e.dupClosed(ss)
	if !s.Adopted {
		e.sessionDropped(s)
	}
	e.acksAtClose(ev, ss, emit)
	if ci.Reason == "ping timeout" {
		e.heartbeatEnd(ev, ss, emit)
		return
	}
	e.closeAfterBig(ev, ss, emit)
	e.closeCut(ev, ss, emit)
	if ss.explained || ci.Trigger == "session_unknown" || ci.Code == 1009 {
		return
	}
	abnormal := false
	switch ci.Reason {
	case "transport error":
		abnormal = true
		if ci.Trigger == "http_error" && len(s.Requests) > 0 {
			r := s.Requests[len(s.Requests)-1]
			if r.Method == "GET" && (r.ErrKind == "timeout" || r.ErrKind == "upstream_reset") && r.End.Sub(r.Start) >= 1e9 {
				abnormal = false // F2 (poll cut) reports it
			}
		}
	case "parse error", "forced close":
		// "forced close" is also the label of a plain server-side close;
		// it is abnormal only after a packet that did not decode.
		abnormal = s.DecodeErrors > 0 && ci.At.Sub(s.LastError.At) < 5e9
	}
	if !abnormal {
		return
	}
	code := ""
	if ci.Code != 0 {
		code = fmt.Sprintf(", close code %d", ci.Code)
	}
	e.report(finding{
		code: CodeAbnormalEnd, sid: s.Sid, client: s.Client, at: ev.TS,
		summary:  fmt.Sprintf("Session %s ended with %s (by the %s over %s%s) after %s", s.Sid, ci.Reason, ci.By, ev.Transport, code, dur(ci.At.Sub(s.Opened))),
		evidence: []string{"trigger: " + ci.Trigger},
	}, emit)
}
