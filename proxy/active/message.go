package active

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sioproxy/sioproxy/decode/eio"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
)

// decodeMessage fills m's Engine.IO and Socket.IO fields from m.Raw.
func (c *Conn) decodeMessage(m *Message) {
	m.conn = c
	if m.Opcode != 1 && m.Opcode != 2 {
		return
	}
	m.EIO, m.EIOErr = eio.DecodePacket(c.EIO, m.Raw, m.Opcode == 2)
	if m.EIOErr != nil || m.EIO.Type != eio.Message {
		return
	}
	if m.EIO.Binary {
		if !c.Msgpack() && !sio.LooksLikeMsgpack(m.EIO.Data) {
			m.Attachment = true
			return
		}
		if p, err := sio.DecodeMsgpack(m.EIO.Data); err == nil {
			m.SIO = &p
		} else {
			m.Attachment = true
		}
		return
	}
	if p, err := sio.Parse(m.EIO.Data, c.protocol()); err == nil {
		m.SIO = &p
	}
}

func (m *Message) setArgs(args json.RawMessage, rule string) error {
	p := m.SIO
	if p == nil || p.Type == sio.Connect || p.Type == sio.Disconnect || p.Type == sio.ConnectError {
		return errors.New("set args: not a Socket.IO EVENT or ACK")
	}
	if !json.Valid(args) || len(args) == 0 || args[0] != '[' {
		return fmt.Errorf("set args: want a JSON array, got %.60q", args)
	}
	np := *p
	np.Data = args
	np.Compact = false
	var data []byte
	binary := false
	if p.Msgpack {
		b, err := sio.EncodeMsgpack(np)
		if err != nil {
			return fmt.Errorf("set args: %w", err)
		}
		data, binary = eio.EncodePacket(m.conn.EIO, eio.Packet{Type: eio.Message, Data: b, Binary: true})
	} else {
		np.Buffers = nil // attachments travel as their own messages
		text, _ := sio.Encode(np)
		data, binary = eio.EncodePacket(m.conn.EIO, eio.Packet{Type: eio.Message, Data: text})
	}
	m.Replace(data, binary, rule)
	return nil
}

// Event describes the message the way the decoder's events do, so that
// the TUI's filter syntax (tui.ParseFilter) can match it: direction,
// transport, sid, Engine.IO type, and the Socket.IO type, namespace, event
// name, ack id and args.
func (m *Message) Event() *event.Event {
	ev := &event.Event{Kind: event.KindPacket, Dir: m.Dir.String(), Transport: m.Transport.String()}
	if c := m.conn; c != nil {
		ev.Sid, ev.EIO = c.Sid(), int(c.EIO)
	}
	if m.Opcode != 1 && m.Opcode != 2 || m.EIOErr != nil {
		return ev
	}
	ev.Engine = m.EIO.Type.String()
	if m.SIO == nil {
		if !m.EIO.Binary {
			ev.Data = string(m.EIO.Data)
		}
		ev.Binary = m.EIO.Binary
		return ev
	}
	p := m.SIO
	ev.Type, ev.Nsp, ev.Event, ev.Args = p.Type.String(), nspOr(p.Nsp), p.EventName(), json.RawMessage(p.Data)
	if p.HasID {
		id := p.ID
		ev.ID = &id
	}
	if p.Msgpack {
		ev.Parser = "msgpack"
	}
	return ev
}
