package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
)

// packet handles one Engine.IO packet: counters, heartbeats, probe and
// upgrade, close, and the Socket.IO packet inside a message.
func (t *Tracker) packet(s *Session, dir decode.Dir, tr decode.Transport, p eio.Packet, raw []byte, size int, at time.Time, exchange, conn uint64) {
	dir &= 1
	if p.Base64 != nil && (p.Type != eio.Message || !s.SIO) {
		// Only a Socket.IO attachment can stay base64 text; anything else
		// is handled as its bytes, as without OmitBinaryRaw.
		p.Data, p.Base64 = p.Bytes(), nil
	}
	s.Packets[dir]++
	s.Bytes[dir] += int64(size)
	if p.Type != eio.Close {
		s.lastPacket = at
	}
	ev := event.Event{
		TS: at, Kind: event.KindPacket, Sid: s.Sid, Transport: tr.String(), Dir: dir.String(), EIO: int(s.EIO),
		Engine: p.Type.String(), Binary: p.Binary, Size: size, Raw: raw, Exchange: exchange, Conn: conn,
	}
	switch p.Type {
	case eio.Open:
		ev.Data = string(p.Data)
	case eio.Close:
		t.emit(s, ev)
		ci := CloseInfo{At: at, By: "client", Reason: "transport close", Trigger: "close_packet", How: "close packet"}
		if dir == decode.S2C {
			ci.By, ci.Reason = "server", t.serverReason(s, at)
		} else {
			t.closeAfterError(s, &ci, tr)
		}
		t.closeSession(s, ci, tr, exchange, conn)
		return
	case eio.Ping, eio.Pong:
		if string(p.Data) == "probe" {
			ev.Data = "probe"
			t.probe(s, p.Type, conn, at)
			break
		}
		if len(p.Data) > 0 {
			ev.Data = string(p.Data)
		}
		if p.Type == eio.Ping {
			t.ping(s, dir, tr, at)
		} else {
			ev.RTTMs = t.pong(s, dir, at)
		}
	case eio.Upgrade:
		t.emit(s, ev)
		if tr == decode.WebSocket && dir == decode.C2S {
			t.upgraded(s, conn, at)
		}
		return
	case eio.Message:
		if s.SIO {
			t.sioMessage(s, dir, tr, p, &ev)
			return
		}
		if !p.Binary {
			ev.Data = string(p.Data)
		}
	}
	t.emit(s, ev)
}

func (t *Tracker) probe(s *Session, typ eio.PacketType, conn uint64, at time.Time) {
	c := t.conns[conn]
	if c == nil || c.session != s {
		return
	}
	if typ == eio.Ping {
		c.ProbeSent = at
		if s.Upgrade != StateWebSocket {
			s.Upgrade = StateProbing
		}
	} else {
		c.ProbeAnswered = at
	}
}

func (t *Tracker) upgraded(s *Session, conn uint64, at time.Time) {
	if c := t.conns[conn]; c != nil && c.session == s {
		c.Upgraded = at
	}
	s.Transport, s.Upgrade, s.UpgradedAt = decode.WebSocket, StateWebSocket, at
	t.emit(s, event.Event{
		TS: at, Kind: event.KindSession, Action: "upgrade", Sid: s.Sid, Transport: decode.WebSocket.String(),
		EIO: int(s.EIO), Client: s.Client, Conn: conn,
	})
}

func (t *Tracker) ping(s *Session, dir decode.Dir, tr decode.Transport, at time.Time) {
	if len(s.PendingPings) >= maxPendingPings {
		copy(s.PendingPings, s.PendingPings[1:])
		s.PendingPings = s.PendingPings[:len(s.PendingPings)-1]
	}
	s.PendingPings = append(s.PendingPings, Ping{Dir: dir, At: at, Transport: tr})
	s.LastPing, s.LastHeartbeat = at, at
}

// pong pairs a pong with the oldest ping sent the other way and returns the
// round trip in ms, nil if no ping was waiting.
func (t *Tracker) pong(s *Session, dir decode.Dir, at time.Time) *float64 {
	s.LastPong, s.LastHeartbeat = at, at
	for i, p := range s.PendingPings {
		if p.Dir != dir.Reverse() {
			continue
		}
		s.PendingPings = append(s.PendingPings[:0], s.PendingPings[i+1:]...)
		rtt := max(at.Sub(p.At), 0)
		s.PingRTT, s.HasRTT = rtt, true
		return msSince(p.At, p.At.Add(rtt))
	}
	return nil
}

// sioMessage decodes the Socket.IO packet a message carries (or one
// attachment of it) and emits the packet event once it is complete.
func (t *Tracker) sioMessage(s *Session, dir decode.Dir, tr decode.Transport, p eio.Packet, ev *event.Event) {
	dec := s.decoder(dir)
	st := &s.bin[dir]
	var sp *sio.Packet
	var err error
	switch {
	case p.Base64 != nil:
		// Canonical base64 text, kept as it is for the args (OmitBinaryRaw);
		// it is a slice of the observation like XHR2 data below.
		sp, err = dec.BinaryBase64(p.Base64)
	case p.Binary:
		// An observation owns its bytes and nobody changes them (see obs),
		// and eio's decoded data is either fresh or a slice of them.
		sp, err = dec.BinaryOwned(p.Data)
	default:
		// The packet is used up before this session's decoder is called
		// again.
		sp, err = dec.TextShared(p.Data)
		defer dec.DoneShared()
	}
	if sp == nil && err == nil {
		// A BINARY header or a non-final attachment: the event waits for the
		// last attachment, and reports the wire bytes of all of them.
		if st.raw == nil {
			st.raw = ev.Raw
		}
		st.size += ev.Size
		return
	}
	if err != nil {
		if sp == nil {
			// Show what was on the wire, then why it did not decode.
			if !p.Binary {
				ev.Data = string(p.Data)
			}
			t.emit(s, *ev)
		}
		t.markError(s, ev.TS, tr, dir, err, ev.Exchange, ev.Conn)
		if pending, _ := dec.Pending(); pending == nil {
			*st = binState{}
		}
		if sp == nil {
			return
		}
	}
	if sp.Type.IsBinary() && st.raw != nil {
		ev.Size += st.size
		ev.Raw = st.raw
	}
	*st = binState{}
	t.fillSIO(s, dir, sp, ev)
	t.emit(s, *ev)
}

// fillSIO sets the Socket.IO fields of ev and updates namespaces and acks.
func (t *Tracker) fillSIO(s *Session, dir decode.Dir, sp *sio.Packet, ev *event.Event) {
	ev.Type, ev.Nsp = sp.Type.String(), sp.Nsp
	if sp.HasID {
		id := sp.ID
		ev.ID, ev.IDUnsigned = &id, sp.IDUnsigned
	}
	if sp.Msgpack {
		ev.Parser = "msgpack"
	}
	data := sp.Data
	owned := false // data is a fresh buffer nothing else refers to
	// compact: what ends up in Args is valid, compact JSON (sio.Packet.Compact);
	// each transform below keeps it so.
	compact := sp.Compact
	if len(sp.Buffers) > 0 {
		ev.Buffers, ev.Attachments = sp.Buffers, len(sp.Buffers)
		if r, err := sio.ReplacePlaceholdersStyle(data, sp.Buffers, sp.Base64, t.binStyle); err == nil {
			data, owned = r, true
			// A summary nests one level deeper than the placeholder it
			// replaces: let the writer check the args again (they are small).
			compact = compact && t.binStyle == sio.BinaryFull
		}
	}
	switch sp.Type {
	case sio.Event, sio.BinaryEvent:
		// rest is '[' and the bytes after the first element's comma: of a
		// compact array, a compact array.
		first, rest, ok := splitFirst(data, owned)
		if ok {
			ev.Event = sp.EventName()
			if ev.Event == "" {
				ev.Event = string(first) // a numeric event name
			}
			ev.Args = rest
		} else if len(data) > 0 {
			ev.Args = data
		}
	case sio.Connect:
		switch {
		case len(data) > 0:
			ev.Args = data
		case sp.Query != "":
			// Protocol 4 carries auth as a namespace query; show it as the
			// auth object a v3+ server in EIO3 mode turns it into.
			ev.Args, compact = queryJSON(sp.Query), true // json.Marshal's output
		}
	default:
		if len(data) > 0 {
			ev.Args = data
		}
	}
	if sp.Msgpack && t.binStyle != sio.BinaryFull && len(ev.Args) > 0 {
		if r := sio.RestyleInline(ev.Args, t.binStyle); &r[0] != &ev.Args[0] { // restyled: a new slice
			ev.Args, compact = r, false
		}
	}
	if len(ev.Args) > 0 && sp.Msgpack && !json.Valid(ev.Args) {
		ev.Data, ev.Args = string(ev.Args), nil
	}
	ev.ArgsCompact = compact && len(ev.Args) > 0
	at := ev.TS
	switch sp.Type {
	case sio.Connect:
		ns := s.namespace(sp.Nsp)
		if dir == decode.C2S {
			ns.State, ns.Auth, ns.Query, ns.ConnectAt = "connecting", json.RawMessage(sp.Data), sp.Query, at
			ns.RecoverPid, ns.RecoverOffset, ns.HasOffset, ns.Recovery = recoveryOf(sp.Data)
			break
		}
		ns.State, ns.ConnectedAt = "connected", at
		var reply struct {
			Sid string `json:"sid"`
			Pid string `json:"pid"`
		}
		if len(sp.Data) > 0 && json.Unmarshal(sp.Data, &reply) == nil {
			ns.SocketID, ns.Pid = reply.Sid, reply.Pid
		}
		if ns.RecoverPid != "" && ns.Recovery == "" {
			// A recovered session keeps its private id; a refused recovery
			// gets a new one (socket.io Socket constructor).
			ok := reply.Pid == ns.RecoverPid
			ns.Recovery = "failed"
			if ok {
				ns.Recovery = "recovered"
			}
			ev.Recovered = &ok
		}
	case sio.ConnectError:
		ns := s.namespace(sp.Nsp)
		ns.State, ns.Error = "refused", json.RawMessage(sp.Data)
	case sio.Disconnect:
		ns := s.namespace(sp.Nsp)
		ns.State, ns.DisconnectBy = "disconnected", by(dir)
	case sio.Event, sio.BinaryEvent:
		if sp.HasID {
			if s.acks == nil {
				s.acks = make(map[ackKey]ackInfo)
			}
			if len(s.acks) < maxPendingAcks {
				s.acks[ackKey{sp.Nsp, sp.ID, dir}] = ackInfo{at: at, event: ev.Event}
			}
		}
	case sio.Ack, sio.BinaryAck:
		if sp.HasID {
			k := ackKey{sp.Nsp, sp.ID, dir.Reverse()}
			if a, ok := s.acks[k]; ok {
				ev.AckMs = msSince(a.at, at)
				ev.AckEvent = a.event
				delete(s.acks, k)
			}
		}
	}
}

func by(d decode.Dir) string {
	if d == decode.S2C {
		return "server"
	}
	return "client"
}

// serverReason labels a close the server initiated (FAULTS.md §J) from what
// led up to it.
func (t *Tracker) serverReason(s *Session, at time.Time) string {
	const tolerance = 100 * time.Millisecond
	if s.HasOpen {
		pt := time.Duration(s.Open.PingTimeout) * time.Millisecond
		pi := time.Duration(s.Open.PingInterval) * time.Millisecond
		if s.EIO == eio.V4 {
			for _, p := range s.PendingPings {
				if p.Dir == decode.S2C && pt > 0 && at.Sub(p.At) >= pt-tolerance {
					return "ping timeout"
				}
			}
		} else if pi+pt > 0 {
			last := s.LastPing
			if last.IsZero() {
				last = s.Opened
			}
			if at.Sub(last) >= pi+pt-tolerance {
				return "ping timeout"
			}
		}
	}
	if s.DecodeErrors > 0 && s.LastError.Dir == decode.C2S && at.Sub(s.LastError.At) < 5*time.Second {
		if s.LastError.Layer == "sio" || s.LastError.Layer == "msgpack" {
			return "forced close"
		}
		return "parse error"
	}
	return "forced close"
}

// layerOf names the decoder that produced err.
func layerOf(err error) string {
	var de *decode.Error
	if errors.As(err, &de) {
		return de.Layer
	}
	return "eio"
}

// queryJSON turns "token=1234&uid=abcd" into {"token":"1234","uid":"abcd"}
// (the last value wins for a repeated key, as Node's querystring does not,
// but a repeated auth key is not something clients send).
func queryJSON(q string) json.RawMessage {
	vals, err := url.ParseQuery(q)
	if err != nil {
		b, _ := json.Marshal(map[string]string{"query": q})
		return b
	}
	m := make(map[string]string, len(vals))
	for k, v := range vals {
		m[k] = v[len(v)-1]
	}
	b, _ := json.Marshal(m)
	return b
}

// recoveryOf reads the connection-state-recovery fields a client merges
// into its CONNECT auth: {"pid":"…","offset":"…"}. Outcome is reset.
func recoveryOf(auth []byte) (pid, offset string, hasOffset bool, outcome string) {
	if len(auth) == 0 || !bytes.Contains(auth, []byte(`"pid"`)) {
		return "", "", false, ""
	}
	var a struct {
		Pid    any `json:"pid"`
		Offset any `json:"offset"`
	}
	if json.Unmarshal(auth, &a) != nil {
		return "", "", false, ""
	}
	p, _ := a.Pid.(string)
	o, ok := a.Offset.(string)
	return p, o, ok, ""
}
