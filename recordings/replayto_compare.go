package recordings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/sioproxy/sioproxy/decode/sio"
)

// shape is what is compared of a server packet: everything the application
// sees, nothing that legitimately changes between runs (ack ids, and the
// socket id in a CONNECT reply).
type shape struct {
	typ  sio.PacketType // BINARY_* folded into EVENT/ACK
	nsp  string
	name string // event name
	args string // compact JSON; attachments inlined as {"_binary":…}
	cmp  string // args with what is ignored masked: what is compared
}

// same reports whether two server packets are the same answer.
func (s shape) same(o shape) bool {
	return s.typ == o.typ && s.nsp == o.nsp && s.name == o.name && s.key() == o.key()
}

// key is what is compared of the args: the masked form once ignorer.all
// has set it.
func (s shape) key() string {
	if s.cmp == "" {
		return s.args
	}
	return s.cmp
}

func shapeOf(p *sio.Packet) shape {
	s := shape{typ: p.Type, nsp: p.Nsp}
	if s.nsp == "" {
		s.nsp = "/"
	}
	switch p.Type {
	case sio.BinaryEvent:
		s.typ = sio.Event
	case sio.BinaryAck:
		s.typ = sio.Ack
	}
	data := p.Data
	if len(p.Buffers) > 0 {
		if r, err := sio.ReplacePlaceholders(data, p.Buffers); err == nil {
			data = r
		}
	}
	switch s.typ {
	case sio.Event:
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) == nil && len(arr) > 0 {
			if json.Unmarshal(arr[0], &s.name) != nil {
				s.name = string(arr[0])
			}
			var b bytes.Buffer
			b.WriteByte('[')
			for i, a := range arr[1:] {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(a)
			}
			b.WriteByte(']')
			s.args = compact(b.Bytes())
		} else {
			s.args = compact(data)
		}
	case sio.Ack:
		s.args = compact(data)
		if s.args == "" {
			s.args = "[]"
		}
	case sio.ConnectError:
		s.args = compact(data)
	}
	return s
}

func compact(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return string(b)
	}
	return out.String()
}

// family groups shapes that answer the same thing, so that a changed answer
// is reported as one difference rather than a missing and an extra packet.
func (s shape) family() string {
	switch s.typ {
	case sio.Connect, sio.ConnectError:
		return "connect " + s.nsp
	case sio.Event:
		return "event " + s.nsp + " " + s.name
	}
	return s.typ.String() + " " + s.nsp
}

// String is how a server packet is named in a difference.
func (s shape) String() string {
	switch s.typ {
	case sio.Event:
		return "server event " + strconv.Quote(s.name) + onNsp(s.nsp) + " " + s.args
	case sio.Connect:
		return "CONNECT" + onNsp(s.nsp)
	case sio.ConnectError:
		return "CONNECT_ERROR" + onNsp(s.nsp) + " " + s.args
	}
	return "server " + s.typ.String() + onNsp(s.nsp)
}

func onNsp(nsp string) string {
	if nsp == "" || nsp == "/" {
		return ""
	}
	return " on " + strconv.Quote(nsp)
}

// answer is what the server said, in a difference: the packet without the
// words around it.
func (s shape) answer() string {
	switch s.typ {
	case sio.Event:
		return s.args
	case sio.Connect:
		return "CONNECT"
	case sio.ConnectError:
		return "CONNECT_ERROR " + s.args
	}
	return s.typ.String()
}

// compareServer matches the server packets the replay received against the
// recorded ones: equal ones first, in order, then same-family ones as
// changed answers; the rest are missing or extra.
func compareServer(rec, got []shape) []Diff {
	used := make([]bool, len(got))
	var left []int
	for i, r := range rec {
		j := indexUnused(got, used, func(g shape) bool { return g.same(r) })
		if j < 0 {
			left = append(left, i)
			continue
		}
		used[j] = true
	}
	var diffs []Diff
	for _, i := range left {
		r := rec[i]
		j := indexUnused(got, used, func(g shape) bool { return g.family() == r.family() })
		d := Diff{Nsp: r.nsp, Recorded: r.answer()}
		if r.typ == sio.Event {
			d.What, d.Event = "event", r.name
		} else {
			d.What = "connect"
			if r.typ == sio.Disconnect {
				d.What = "disconnect"
			}
		}
		if j < 0 {
			if d.What == "connect" {
				d.Msg = fmt.Sprintf("connect %q: recorded %s got no reply", r.nsp, r.answer())
			} else {
				d.Msg = "missing " + r.String()
			}
			diffs = append(diffs, d)
			continue
		}
		used[j] = true
		g := got[j]
		d.Got = g.answer()
		if d.What == "connect" {
			d.Msg = fmt.Sprintf("connect %q: recorded %s got %s", r.nsp, r.answer(), g.answer())
		} else {
			d.Msg = fmt.Sprintf("server event %q%s: recorded %s got %s", r.name, onNsp(r.nsp), r.args, g.args)
		}
		diffs = append(diffs, d)
	}
	for j, g := range got {
		if used[j] {
			continue
		}
		d := Diff{What: "event", Nsp: g.nsp, Got: g.answer(), Msg: "extra " + g.String()}
		switch g.typ {
		case sio.Event:
			d.Event = g.name
		case sio.Connect, sio.ConnectError:
			d.What = "connect"
		default:
			d.What = "disconnect"
		}
		diffs = append(diffs, d)
	}
	return diffs
}

func indexUnused(got []shape, used []bool, match func(shape) bool) int {
	for j, g := range got {
		if !used[j] && match(g) {
			return j
		}
	}
	return -1
}

// compareAck compares the server's answer to one of the client's events.
// rec or got is nil when there was none.
func compareAck(ev *sio.Packet, rec, got *sio.Packet, waited string, ig *ignorer) *Diff {
	if rec == nil && got == nil {
		return nil
	}
	name := shapeOf(ev).name
	id := ev.ID
	d := &Diff{What: "ack", Nsp: ev.Nsp, Event: name, ID: &id}
	if ev.Nsp == "" {
		d.Nsp = "/"
	}
	var r, g string
	if rec != nil {
		r = shapeOf(rec).args
		d.Recorded = r
	}
	if got != nil {
		g = shapeOf(got).args
		d.Got = g
	}
	switch {
	case rec == nil:
		d.Msg = fmt.Sprintf("ack for %q%s id %d: recorded none got %s", name, onNsp(d.Nsp), id, g)
	case got == nil:
		d.Msg = fmt.Sprintf("ack for %q%s id %d: recorded %s got none %s", name, onNsp(d.Nsp), id, r, waited)
	case ig.mask(r) != ig.mask(g):
		d.Msg = fmt.Sprintf("ack for %q%s id %d: recorded %s got %s", name, onNsp(d.Nsp), id, r, g)
	default:
		return nil
	}
	return d
}
