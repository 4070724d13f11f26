// Package synthrec writes synthetic native recordings of healthy
// WebSocket-only Socket.IO sessions, of any size, for tests and benchmarks
// of what reads recordings (the report, replay).
package synthrec

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/recordings"
)

// Options shape a recording.
type Options struct {
	Start    time.Time
	Sessions int // WebSocket sessions, run one after another in groups of 10
	// Messages per session: c2s EVENTs named Names[i%len], each with an
	// ack id answered by the server AckDelay later (every tenth one never
	// answered), plus an s2c EVENT and a heartbeat every 10 messages.
	Messages int
	Payload  int // bytes of padding in each EVENT's argument
	Names    []string
	AckDelay time.Duration
}

// Stats is what a recording written by Write holds, for tests to compare.
type Stats struct {
	Bytes      int64
	Packets    int // Engine.IO packets
	Acked      int // EVENTs with an ack id that got their ACK
	Unanswered int
}

// Write writes a recording to w.
func Write(w io.Writer, o Options) (Stats, error) {
	if len(o.Names) == 0 {
		o.Names = []string{"chat message", "typing", "cursor"}
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	}
	if o.AckDelay <= 0 {
		o.AckDelay = 3 * time.Millisecond
	}
	cw := &countingWriter{w: w}
	rw := recordings.NewWriter(cw, recordings.Header{Mode: "reverse", Target: "http://127.0.0.1:3000", Started: o.Start})
	var st Stats
	pad := strings.Repeat("x", o.Payload)
	var err error
	put := func(x obs.Obs) {
		if err == nil {
			err = rw.Write(x)
		}
	}
	msg := func(conn uint64, t time.Time, d decode.Dir, s string) {
		put(obs.Obs{Kind: obs.KindWSMsg, Time: t, WSMsg: &obs.WSMessage{Conn: conn, Dir: d, Opcode: 1, Data: []byte(s), WireLen: len(s) + 6, Frames: 1}})
		st.Packets++
	}
	for s := 0; s < o.Sessions && err == nil; s++ {
		conn := uint64(s + 1)
		sid := fmt.Sprintf("synth%015d", s)
		t := o.Start.Add(time.Duration(s/10) * time.Duration(o.Messages+10) * 10 * time.Millisecond).Add(time.Duration(s%10) * time.Millisecond)
		put(obs.Obs{Kind: obs.KindWSOpen, Time: t, WSOpen: &obs.WSOpen{Conn: conn, Client: fmt.Sprintf("127.0.0.1:%d", 40000+s%20000), Start: t,
			URL: "/socket.io/?EIO=4&transport=websocket", Host: "127.0.0.1:8080", Status: 101,
			ReqHeader: http.Header{"Upgrade": {"websocket"}}, RespHeader: http.Header{"Upgrade": {"websocket"}}}})
		msg(conn, t, decode.S2C, `0{"sid":"`+sid+`","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
		msg(conn, t.Add(time.Millisecond), decode.C2S, "40")
		msg(conn, t.Add(2*time.Millisecond), decode.S2C, `40{"sid":"sock`+sid+`"}`)
		t = t.Add(3 * time.Millisecond)
		for i := 0; i < o.Messages && err == nil; i++ {
			name := o.Names[i%len(o.Names)]
			msg(conn, t, decode.C2S, fmt.Sprintf(`42%d["%s",{"i":%d,"pad":"%s"}]`, i, name, i, pad))
			if i%10 == 9 {
				st.Unanswered++
			} else {
				// Delays from AckDelay to 2.5×AckDelay, so histograms have a shape.
				delay := o.AckDelay + time.Duration(i%7)*o.AckDelay/4
				msg(conn, t.Add(delay), decode.S2C, fmt.Sprintf(`43%d[{"ok":true}]`, i))
				st.Acked++
			}
			if i%10 == 0 {
				msg(conn, t.Add(time.Millisecond), decode.S2C, `42["news",{"n":`+fmt.Sprint(i)+`}]`)
				msg(conn, t.Add(2*time.Millisecond), decode.S2C, "2")
				msg(conn, t.Add(3*time.Millisecond), decode.C2S, "3")
			}
			t = t.Add(10 * time.Millisecond)
		}
		put(obs.Obs{Kind: obs.KindWSMsg, Time: t, WSMsg: &obs.WSMessage{Conn: conn, Dir: decode.C2S, Opcode: 8, CloseCode: 1000, WireLen: 8, Frames: 1}})
		put(obs.Obs{Kind: obs.KindWSClose, Time: t.Add(time.Millisecond), WSClose: &obs.WSClose{Conn: conn, By: "client", Code: 1000, Clean: true}})
	}
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	st.Bytes = cw.n
	return st, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
