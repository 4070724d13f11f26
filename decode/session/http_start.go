package session

import (
	"net/http"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// maxEarly bounds POSTs decoded early whose final exchange never arrived
// (dropped by a full queue); beyond it the oldest bookkeeping is discarded.
const maxEarly = 4096

// httpStart handles the request half of an exchange (obs.KindHTTPStart).
// A POST to a live session is decoded now, not when its "ok" comes back:
// the server may answer the parked GET with the ack first, and the event
// must precede its ack. Everything else waits for the finished exchange.
func (t *Tracker) httpStart(o obs.Obs) {
	x := o.HTTP
	path, rawq, _ := strings.Cut(x.URL, "?")
	q := eio.ParseQuery(rawq)
	if !t.isEIO(path, q) || q.Sid == "" {
		return
	}
	s := t.sessions[q.Sid]
	if s == nil {
		return
	}
	t.cur = s
	if x.Method != http.MethodPost || s.Closed || q.Transport == "websocket" {
		return
	}
	if len(t.early) >= maxEarly {
		clear(t.early)
	}
	at := x.Start
	if at.IsZero() {
		at = o.Time
	}
	s.touch(at)
	t.early[x.ID] = t.pollBody(s, decode.C2S, x, x.ReqBody, x.ReqHeader, x.ReqTrunc, x.ReqLen, q, at)
}
