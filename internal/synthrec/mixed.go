// WriteMixed is the replay benchmark's traffic: WebSocket-only sessions and
// polling sessions open, CONNECT, trade EVENTs and their ACKs (a binary
// one now and then), answer heartbeats, and close, a few at a time
// interleaved, so the tracker and the diagnosis hold and retire state as
// they would on a long live recording.
package synthrec

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/recordings"
)

// MixedConcurrent is how many sessions are live at a time.
const MixedConcurrent = 20

// mixRoundTrips is how many EVENT/ACK round trips each session makes
// before it closes.
const mixRoundTrips = 500

var mixStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// WriteMixed appends observations to w until about size bytes are written
// (it checks w's byte count every few hundred observations) and returns
// how many it wrote.
func WriteMixed(w *recordings.Writer, size int64, written func() int64) (int, error) {
	g := &mixGen{w: w, clock: mixStart}
	var sessions [MixedConcurrent]*mixSess
	for n := 0; ; n++ {
		if n%256 == 0 && written() >= size {
			// Close what is open, so the recording ends cleanly.
			for _, s := range sessions {
				if s != nil {
					s.close(g)
				}
			}
			return g.n, g.err
		}
		i := n % MixedConcurrent
		s := sessions[i]
		if s == nil || s.done >= mixRoundTrips {
			if s != nil {
				s.close(g)
			}
			s = g.open(n%3 == 0)
			sessions[i] = s
		}
		s.roundTrip(g)
		if g.err != nil {
			return g.n, g.err
		}
	}
}

type mixGen struct {
	w     *recordings.Writer
	clock time.Time
	ids   uint64 // exchange and connection ids
	sids  int
	n     int
	err   error
}

func (g *mixGen) put(o obs.Obs) {
	if g.err != nil {
		return
	}
	g.clock = g.clock.Add(137 * time.Microsecond)
	o.Time = g.clock
	switch {
	case o.HTTP != nil:
		o.HTTP.Start, o.HTTP.End = g.clock.Add(-400*time.Microsecond), g.clock
	case o.WSOpen != nil:
		o.WSOpen.Start = g.clock
	}
	g.err = g.w.Write(o)
	g.n++
}

type mixSess struct {
	sid     string
	polling bool
	conn    uint64
	done    int
	client  string
}

const mixQuery = "/socket.io/?EIO=4&transport="

func (g *mixGen) open(polling bool) *mixSess {
	g.sids++
	g.ids++
	s := &mixSess{sid: fmt.Sprintf("synth%015d", g.sids), polling: polling, conn: g.ids,
		client: "127.0.0.1:" + strconv.Itoa(40000+g.sids%20000)}
	open := `0{"sid":"` + s.sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	if polling {
		g.http(s, "GET", mixQuery+"polling", "", open)
		g.http(s, "POST", mixQuery+"polling&sid="+s.sid, "40", "ok")
		g.http(s, "GET", mixQuery+"polling&sid="+s.sid, "", `40{"sid":"n`+s.sid+`"}`)
		return s
	}
	g.put(obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: s.conn, Client: s.client, Upstream: "http://127.0.0.1:3000",
		URL: mixQuery + "websocket", Host: "localhost:8080", Status: 101,
		ReqHeader:  http.Header{"Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}},
		RespHeader: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}}})
	g.ws(s, decode.S2C, 1, open)
	g.ws(s, decode.C2S, 1, "40")
	g.ws(s, decode.S2C, 1, `40{"sid":"n`+s.sid+`"}`)
	return s
}

func (g *mixGen) http(s *mixSess, method, url, req, resp string) {
	g.ids++
	g.put(obs.Obs{Kind: obs.KindHTTP, HTTP: &obs.HTTPExchange{ID: g.ids, Client: s.client, Upstream: "http://127.0.0.1:3000",
		Method: method, URL: url, Host: "localhost:8080", Proto: "HTTP/1.1",
		ReqHeader: http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}, ReqBody: []byte(req), ReqLen: int64(len(req)),
		Status: 200, RespHeader: http.Header{"Content-Type": {"text/plain; charset=UTF-8"}}, RespBody: []byte(resp), RespLen: int64(len(resp))}})
}

func (g *mixGen) ws(s *mixSess, dir decode.Dir, op byte, data string) {
	g.put(obs.Obs{Kind: obs.KindWSMsg, WSMsg: &obs.WSMessage{Conn: s.conn, Dir: dir, Opcode: op, Data: []byte(data), WireLen: len(data) + 6, Frames: 1}})
}

// roundTrip is one EVENT and its ACK; every 50th carries a small binary
// attachment, every 100th is preceded by a heartbeat.
func (s *mixSess) roundTrip(g *mixGen) {
	id := strconv.Itoa(s.done)
	s.done++
	if s.done%100 == 0 {
		if s.polling {
			g.http(s, "GET", mixQuery+"polling&sid="+s.sid, "", "2")
			g.http(s, "POST", mixQuery+"polling&sid="+s.sid, "3", "ok")
		} else {
			g.ws(s, decode.S2C, 1, "2")
			g.ws(s, decode.C2S, 1, "3")
		}
	}
	ev := `42` + id + `["chat",{"from":"alice","room":"lobby","text":"message number ` + id + `","ts":1741944413}]`
	ack := `43` + id + `[{"ok":true,"stored":` + id + `}]`
	if s.done%50 == 0 {
		if s.polling {
			g.http(s, "POST", mixQuery+"polling&sid="+s.sid, `451-`+id+`["upload",{"_placeholder":true,"num":0}]`+"\x1ebAAECAwQFBgcICQ==", "ok")
			g.http(s, "GET", mixQuery+"polling&sid="+s.sid, "", ack)
			return
		}
		g.ws(s, decode.C2S, 1, `451-`+id+`["upload",{"_placeholder":true,"num":0}]`)
		g.ws(s, decode.C2S, 2, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")
		g.ws(s, decode.S2C, 1, ack)
		return
	}
	if s.polling {
		g.http(s, "POST", mixQuery+"polling&sid="+s.sid, ev, "ok")
		g.http(s, "GET", mixQuery+"polling&sid="+s.sid, "", ack)
		return
	}
	g.ws(s, decode.C2S, 1, ev)
	g.ws(s, decode.S2C, 1, ack)
}

func (s *mixSess) close(g *mixGen) {
	if s.polling {
		g.http(s, "POST", mixQuery+"polling&sid="+s.sid, "1", "ok")
		return
	}
	g.ws(s, decode.C2S, 1, "1")
	g.ws(s, decode.C2S, 8, "\x03\xe8")
	g.ws(s, decode.S2C, 8, "\x03\xe8")
	g.put(obs.Obs{Kind: obs.KindWSClose, WSClose: &obs.WSClose{Conn: s.conn, By: "client", Code: 1000, Clean: true}})
}
