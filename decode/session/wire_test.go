package session

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Helpers that build observations the way the proxy reports them, so tests
// read as wire sequences.

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

const (
	c2s = decode.C2S
	s2c = decode.S2C
)

type hdr map[string]string

func header(h hdr) http.Header {
	out := http.Header{}
	for k, v := range h {
		out.Set(k, v)
	}
	return out
}

var exchangeID uint64

// xchg is one HTTP exchange from start to end (ms since t0).
func xchg(start, end int, method, url string, reqBody string, status int, respBody string, reqH, respH hdr) obs.Obs {
	exchangeID++
	if respH == nil {
		respH = hdr{"Content-Type": "text/plain; charset=UTF-8"}
	}
	return obs.Obs{Kind: obs.KindHTTP, Time: ms(end), HTTP: &obs.HTTPExchange{
		ID: exchangeID, Client: "127.0.0.1:5000", Upstream: "http://up:3000", Start: ms(start), End: ms(end),
		Method: method, URL: url, ReqHeader: header(reqH), ReqBody: []byte(reqBody), ReqLen: int64(len(reqBody)),
		Status: status, RespHeader: header(respH), RespBody: []byte(respBody), RespLen: int64(len(respBody)),
	}}
}

func get(start, end int, url string, status int, body string) obs.Obs {
	return xchg(start, end, "GET", url, "", status, body, nil, nil)
}

func post(start, end int, url, body string) obs.Obs {
	return xchg(start, end, "POST", url, body, 200, "ok", hdr{"Content-Type": "text/plain;charset=UTF-8"}, hdr{"Content-Type": "text/html"})
}

func wsOpen(at int, conn uint64, url string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSOpen, Time: ms(at), WSOpen: &obs.WSOpen{
		Conn: conn, Client: "127.0.0.1:5001", Upstream: "http://up:3000", Start: ms(at), URL: url,
		ReqHeader: http.Header{}, RespHeader: http.Header{}, Status: 101,
	}}
}

func wsText(at int, conn uint64, d decode.Dir, data string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: ms(at), WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 1, Data: []byte(data), WireLen: len(data) + 2, Frames: 1}}
}

func wsBin(at int, conn uint64, d decode.Dir, data []byte) obs.Obs {
	return obs.Obs{Kind: obs.KindWSMsg, Time: ms(at), WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 2, Data: data, WireLen: len(data) + 2, Frames: 1}}
}

func wsClose(at int, conn uint64, by string, code int, clean bool, err string) obs.Obs {
	return obs.Obs{Kind: obs.KindWSClose, Time: ms(at), WSClose: &obs.WSClose{Conn: conn, By: by, Code: code, Clean: clean, Err: err}}
}

// tick is a pseudo-observation: the test runner calls Tracker.Tick.
func tick(at int) obs.Obs { return obs.Obs{Kind: "tick", Time: ms(at)} }

func run(tr *Tracker, seq []obs.Obs) []event.Event {
	var evs []event.Event
	emit := func(ev event.Event) { evs = append(evs, ev) }
	for _, o := range seq {
		if o.Kind == "tick" {
			tr.Tick(o.Time, emit)
			continue
		}
		tr.Observe(o, emit)
	}
	return evs
}

// summary is a compact, stable rendering of an event for table tests.
func summary(ev event.Event) string {
	var b strings.Builder
	add := func(k, v string) {
		if v != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			if k != "" {
				b.WriteString(k + "=")
			}
			b.WriteString(v)
		}
	}
	add("", string(ev.Kind))
	add("", ev.Action)
	switch ev.Transport {
	case "polling":
		add("", "poll")
	case "websocket":
		add("", "ws")
	}
	add("", ev.Dir)
	add("", ev.Engine)
	add("", ev.Type)
	add("", ev.Nsp)
	add("event", ev.Event)
	add("args", string(ev.Args))
	if ev.ID != nil {
		add("id", fmt.Sprint(*ev.ID))
	}
	if ev.AckMs != nil {
		add("ack", fmt.Sprintf("%.0fms", *ev.AckMs))
	}
	if ev.RTTMs != nil {
		add("rtt", fmt.Sprintf("%.0fms", *ev.RTTMs))
	}
	if ev.Attachments > 0 {
		add("att", fmt.Sprint(ev.Attachments))
	}
	if ev.Engine != "open" {
		add("data", ev.Data)
	}
	if ev.Kind == event.KindHTTP {
		add("", ev.Method)
		add("", fmt.Sprint(ev.Status))
	}
	add("reason", ev.Reason)
	add("by", ev.By)
	if ev.Code != 0 {
		add("code", fmt.Sprint(ev.Code))
	}
	add("error", ev.Error)
	return b.String()
}
