package diagnose

import (
	"net/http"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Helpers that build observations the way the proxy reports them, so the
// tests read as wire sequences.

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

const (
	c2s = decode.C2S
	s2c = decode.S2C

	open4   = `0{"sid":"SID4","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	q4      = "/socket.io/?EIO=4&transport=polling"
	q4sid   = "/socket.io/?EIO=4&transport=polling&sid=SID4"
	ws4     = "/socket.io/?EIO=4&transport=websocket"
	ws4sid  = "/socket.io/?EIO=4&transport=websocket&sid=SID4"
	open4ws = `0{"sid":"WSID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	open3   = `0{"sid":"SID3","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}`
	q3      = "/socket.io/?EIO=3&transport=polling"
	q3sid   = "/socket.io/?EIO=3&transport=polling&sid=SID3"
	jsonCT  = "application/json"
)

type hdr map[string]string

func header(h hdr) http.Header {
	out := http.Header{}
	for k, v := range h {
		out.Add(k, v)
	}
	return out
}

// wire builds a sequence with unique exchange ids and a settable client
// and upstream.
type wire struct {
	id       uint64
	client   string
	upstream string
	host     string
}

func newWire() *wire {
	return &wire{client: "127.0.0.1:5000", upstream: "http://up:3000", host: "localhost:8080"}
}

func (w *wire) xchg(start, end int, method, url, reqBody string, status int, respBody string, reqH, respH hdr) obs.Obs {
	w.id++
	if respH == nil {
		respH = hdr{"Content-Type": "text/plain; charset=UTF-8"}
	}
	return obs.Obs{Kind: obs.KindHTTP, Time: ms(end), HTTP: &obs.HTTPExchange{
		ID: w.id, Client: w.client, Upstream: w.upstream, Start: ms(start), End: ms(end), Host: w.host,
		Method: method, URL: url, ReqHeader: header(reqH), ReqBody: []byte(reqBody), ReqLen: int64(len(reqBody)),
		Status: status, RespHeader: header(respH), RespBody: []byte(respBody), RespLen: int64(len(respBody)),
	}}
}

func (w *wire) get(start, end int, url string, status int, body string) obs.Obs {
	return w.xchg(start, end, "GET", url, "", status, body, nil, nil)
}

func (w *wire) post(start, end int, url, body string) obs.Obs {
	return w.xchg(start, end, "POST", url, body, 200, "ok", hdr{"Content-Type": "text/plain;charset=UTF-8"}, hdr{"Content-Type": "text/html"})
}

// errJSON is an Engine.IO polling error answer.
func (w *wire) errJSON(start, end int, method, url string, status int, body string) obs.Obs {
	return w.xchg(start, end, method, url, "", status, body, nil, hdr{"Content-Type": jsonCT})
}

var upgradeHdr = hdr{"Upgrade": "websocket", "Connection": "Upgrade"}

func (w *wire) wsOpen(at int, conn uint64, url string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSOpen, Time: ms(at), WSOpen: &obs.WSOpen{
		Conn: conn, Client: w.client, Upstream: w.upstream, Start: ms(at), URL: url, Host: w.host,
		ReqHeader: header(upgradeHdr), RespHeader: http.Header{}, Status: 101,
	}}
}

func wsText(at int, conn uint64, d decode.Dir, data string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: ms(at), WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 1, Data: []byte(data), WireLen: len(data) + 6, Frames: 1}}
}

func wsBin(at int, conn uint64, d decode.Dir, data []byte) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: ms(at), WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 2, Data: data, WireLen: len(data) + 6, Frames: 1}}
}

func wsCloseFrame(at int, conn uint64, d decode.Dir, code int) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: ms(at), WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 8, CloseCode: code, WireLen: 4, Frames: 1}}
}

func wsClose(at int, conn uint64, by string, code int, clean bool, err string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSClose, Time: ms(at), WSClose: &obs.WSClose{Conn: conn, By: by, Code: code, Clean: clean, Err: err}}
}

// tick is a pseudo-observation: run calls Tracker.Tick.
func tick(at int) obs.Obs { return obs.Obs{Kind: "tick", Time: ms(at)} }

// run feeds seq through a real Tracker with e as its Diagnoser and returns
// the fault events emitted.
func run(e *Engine, seq []obs.Obs) []event.Event {
	tr := session.NewTracker(session.Options{Diagnoser: e})
	var faults []event.Event
	emit := func(ev event.Event) {
		if ev.Kind == event.KindFault {
			faults = append(faults, ev)
		}
	}
	for _, o := range seq {
		if o.Kind == "tick" {
			tr.Tick(o.Time, emit)
			continue
		}
		tr.Observe(o, emit)
	}
	return faults
}

// wsOnly is a healthy WebSocket-only session (conn, sid) opened at at.
func (w *wire) wsOnly(at int, conn uint64, open string) []obs.Obs {
	return []obs.Obs{
		w.wsOpen(at, conn, ws4),
		wsText(at+1, conn, s2c, open),
	}
}

func concat(parts ...[]obs.Obs) []obs.Obs {
	var out []obs.Obs
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// newWireAt is a wire whose exchange and connection ids start at base, for
// a second client in one sequence.
func newWireAt(base uint64) *wire {
	w := newWire()
	w.id = base * 1000
	return w
}

// newTrackerFor is a Tracker diagnosing with e.
func newTrackerFor(e *Engine, _ *[]event.Event) *session.Tracker {
	return session.NewTracker(session.Options{Diagnoser: e})
}
