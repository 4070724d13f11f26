package sio

import (
	"errors"
	"fmt"
)

// DefaultMaxAttachmentBytes caps one retained attachment. Servers default
// to maxHttpBufferSize 1e6; the cap leaves room for apps that raise it.
const DefaultMaxAttachmentBytes = 16 << 20

// Decoder reassembles binary packets. Keep one per session and direction:
// a BINARY packet's attachments may arrive in later polling bodies or after
// the upgrade to WebSocket. It is not safe for concurrent use.
type Decoder struct {
	Protocol           int  // 5, or 4 for Engine.IO v3 sessions
	MaxAttachments     int  // announced attachments allowed, default 10
	MaxAttachmentBytes int  // bytes retained per attachment, default 16 MiB
	Msgpack            bool // every binary message is a socket.io-msgpack-parser packet

	pending *Packet
}

// NewDecoder returns a Decoder for protocol 5 or 4 with the default caps.
func NewDecoder(protocol int) *Decoder {
	return &Decoder{Protocol: protocol, MaxAttachments: DefaultMaxAttachments, MaxAttachmentBytes: DefaultMaxAttachmentBytes}
}

func (d *Decoder) maxAtt() int {
	if d.MaxAttachments > 0 {
		return d.MaxAttachments
	}
	return DefaultMaxAttachments
}

func (d *Decoder) maxBytes() int {
	if d.MaxAttachmentBytes > 0 {
		return d.MaxAttachmentBytes
	}
	return DefaultMaxAttachmentBytes
}

// Pending returns the BINARY packet awaiting attachments, if any, and how
// many it has.
func (d *Decoder) Pending() (p *Packet, have int) {
	if d.pending == nil {
		return nil, 0
	}
	return d.pending, len(d.pending.Buffers)
}

// Reset drops a pending packet, e.g. when the session ends.
func (d *Decoder) Reset() { d.pending = nil }

func (d *Decoder) describePending() string {
	p := d.pending
	return fmt.Sprintf("%s on %s with %d of %d attachments", p.Type, p.Nsp, len(p.Buffers), p.Attachments)
}

// Text decodes a text message. It returns the packet when it is complete,
// and nil, nil when it is a BINARY packet that awaits attachments. The
// returned Data aliases data.
//
// Text while a packet is pending is the parser's "got plaintext data when
// reconstructing a packet": the pending packet is dropped and the new one is
// still decoded, so the result may be a packet and an error together.
func (d *Decoder) Text(data []byte) (*Packet, error) {
	var dropped error
	if d.pending != nil {
		dropped = errAt(0, "%s: dropped the pending %s", MsgPlaintextWhilePending, d.describePending())
		d.pending = nil
	}
	p, err := parse(data, d.Protocol, d.maxAtt())
	if err != nil {
		if dropped != nil {
			return nil, errors.Join(dropped, err)
		}
		return nil, err
	}
	if p.Type.IsBinary() {
		p.Data = clone(p.Data)
		p.Buffers = make([][]byte, 0, p.Attachments)
		d.pending = &p
		return nil, dropped
	}
	return &p, dropped
}

// Binary decodes a binary message: the next attachment of the pending
// packet, or, with nothing pending, a msgpack packet (when Msgpack is set or
// the message looks like one). Attachments are copied. When the last
// attachment arrives the placeholders are checked; an "illegal attachments"
// error's offset is within the packet's JSON payload.
func (d *Decoder) Binary(data []byte) (*Packet, error) {
	return d.binary(data, true)
}

// BinaryOwned is Binary for a caller that hands data over: the attachment
// keeps data itself instead of a copy, so the caller must never change it
// afterwards. It saves a copy of every attachment where the bytes already
// belong to an observation (64 KiB binary events were copied twice).
func (d *Decoder) BinaryOwned(data []byte) (*Packet, error) {
	return d.binary(data, false)
}

func (d *Decoder) binary(data []byte, copyData bool) (*Packet, error) {
	if d.pending == nil {
		if d.Msgpack || LooksLikeMsgpack(data) {
			p, err := DecodeMsgpack(data)
			if err != nil {
				return nil, err
			}
			return &p, nil
		}
		return nil, errAt(-1, "%s: %d bytes", MsgBinaryNotPending, len(data))
	}
	p := d.pending
	if len(data) > d.maxBytes() {
		d.pending = nil
		return nil, errAt(-1, "%s: attachment %d of %d is %d bytes, over the %d-byte cap; dropped the %s",
			MsgAttachmentTooLarge, len(p.Buffers)+1, p.Attachments, len(data), d.maxBytes(), p.Type)
	}
	if copyData {
		data = clone(data)
	}
	p.Buffers = append(p.Buffers, data)
	if len(p.Buffers) < p.Attachments {
		return nil, nil
	}
	d.pending = nil
	if _, err := placeholders(p.Data, len(p.Buffers)); err != nil {
		return nil, err
	}
	return p, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
