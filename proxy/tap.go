package proxy

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// tap is the passive observer of one WebSocket connection. Each relay
// direction feeds it every chunk it carries just before forwarding it, so
// a cause is pushed before its effect; a decode failure
// only stops decoding: the bytes keep flowing.
type tap struct {
	p      *Proxy
	conn   uint64
	target int
	dirs   [2]tapDir // by decode.Dir
}

// tapDir is one direction; only its copy goroutine touches it.
type tapDir struct {
	t           *tap
	dir         decode.Dir
	parser      *ws.Parser // nil once the stream is undecodable
	emit        func(*ws.Message)
	mark        *obs.Active // active layer: what it did to the bytes being fed
	act         *active.WS  // active layer: learns session state from messages
	undecodable bool
	// overBudget: the message in progress is skipped for the reassembly
	// budget and that was already reported.
	overBudget bool
	sidDone    bool   // S2C: the first text message was checked for a handshake
	seq        uint64 // sequence number of the chunk being fed

	// The first close frame this direction sent.
	closeSeen   bool
	closeSeq    uint64
	closeCode   int
	closeReason string
}

// newTap returns the tap for a connection whose server accepted the
// Sec-WebSocket-Extensions value ext.
func newTap(p *Proxy, conn uint64, target int, ext string) *tap {
	t := &tap{p: p, conn: conn, target: target}
	// ParseExtensions returns what it understood even on error; a wrong
	// deflate setting shows up as per-message inflate errors.
	e, _ := ws.ParseExtensions(ext)
	for _, dir := range []decode.Dir{decode.C2S, decode.S2C} {
		d := &t.dirs[dir]
		d.t, d.dir = t, dir
		if p.opts.RelayOnly {
			continue // no parser: feed returns at once
		}
		d.parser = ws.NewParser(dir, e, ws.Options{Budget: p.opts.wsBudget()})
		d.emit = d.message // bound once, so Feed does not allocate a closure per chunk
	}
	return t
}

// feed hands the parser of direction dir a chunk that was just relayed.
func (t *tap) feed(dir int, b []byte, seq uint64) {
	d := &t.dirs[dir]
	if d.parser == nil {
		return
	}
	d.seq = seq
	if err := d.parser.Feed(b, d.emit); err != nil {
		// Framing sync is lost (decode.ErrUndecodable): report it once and
		// stop decoding this direction.
		d.parser.Release()
		d.parser = nil
		d.undecodable = true
		t.p.push(obs.Obs{Kind: obs.KindWSMsg, Time: t.p.opts.Now(), WSMsg: &obs.WSMessage{
			Conn: t.conn, Dir: d.dir, Err: err.Error(),
		}})
		return
	}
	if d.parser.SkippingOverBudget() && !d.overBudget {
		// Reported now, not when (if ever) the message ends.
		d.overBudget = true
		t.p.push(obs.Obs{Kind: obs.KindWSMsg, Time: t.p.opts.Now(), WSMsg: &obs.WSMessage{
			Conn: t.conn, Dir: d.dir,
			Err: fmt.Sprintf("a message is not decoded: the WebSocket reassembly memory budget (%s, all connections) is in use; it is relayed unchanged", membudget.FormatBytes(t.p.opts.WSBudget.Max())),
		}})
	}
}

// release frees both parsers' buffers and gives their share of the
// reassembly budget back. Call it once the connection ended, when nothing
// feeds the tap any more.
func (t *tap) release() {
	for i := range t.dirs {
		if p := t.dirs[i].parser; p != nil {
			p.Release()
		}
	}
}

// feedMarked feeds bytes the active layer is about to write, marking the
// message they hold with a.
func (t *tap) feedMarked(dir decode.Dir, b []byte, a *obs.Active, seq uint64) {
	d := &t.dirs[dir]
	d.mark = a
	t.feed(int(dir), b, seq)
	d.mark = nil
}

// message turns a parsed message into an observation. m.Data is only
// valid during the call, hence the copy, unless the parser lets go of it
// (a large message: copying it doubled the garbage each one left).
func (d *tapDir) message(m *ws.Message) {
	t := d.t
	data := m.Data
	if !m.Owned {
		data = bytes.Clone(m.Data)
	}
	o := &obs.WSMessage{
		Conn:       t.conn,
		Dir:        d.dir,
		Opcode:     m.Opcode,
		Data:       data,
		Compressed: m.Compressed,
		WireLen:    m.WireLen,
		Frames:     m.Frames,
		CloseCode:  m.CloseCode,
		CloseText:  m.CloseReason,
		Active:     d.mark,
	}
	if d.act != nil && (m.Opcode == ws.OpText || m.Opcode == ws.OpBinary) && m.Err == nil {
		d.act.Observed(d.dir, m.Data, m.Opcode == ws.OpBinary)
	}
	if m.Err != nil {
		if d.overBudget && errors.Is(m.Err, ws.ErrOverBudget) {
			d.overBudget = false // reported when the skipping began
			return
		}
		o.Err = m.Err.Error()
	}
	switch {
	case m.Opcode == 8:
		if !d.closeSeen {
			d.closeSeen, d.closeSeq, d.closeCode, d.closeReason = true, d.seq, m.CloseCode, m.CloseReason
		}
	case d.dir == decode.S2C && !d.sidDone && m.Opcode == 1:
		// A WebSocket-only session's handshake is its first server
		// message; the sticky balancer learns its sid here.
		d.sidDone = true
		if t.p.bal.wantsSid() {
			if sid, _ := sniffSid(m.Data); sid != "" {
				t.p.bal.remember(sid, t.target)
			}
		}
	}
	t.p.push(obs.Obs{Kind: obs.KindWSMsg, Time: t.p.opts.Now(), WSMsg: o})
}

// closeInfo completes c with what the frames said. Call it after both
// copy goroutines ended (their channel sends order their writes before
// this read).
func (t *tap) closeInfo(c *obs.WSClose) {
	cs, sc := &t.dirs[decode.C2S], &t.dirs[decode.S2C]
	first := cs
	if !cs.closeSeen || sc.closeSeen && sc.closeSeq < cs.closeSeq {
		first = sc
	}
	if first.closeSeen {
		// Who sent the first close frame ended it, whoever dropped TCP.
		c.By = sideOf(first.dir)
		c.Code, c.Reason = first.closeCode, first.closeReason
	}
	c.Clean = cs.closeSeen && sc.closeSeen
	c.Undecodable = cs.undecodable || sc.undecodable
}

func sideOf(d decode.Dir) string {
	if d == decode.S2C {
		return "server"
	}
	return "client"
}
