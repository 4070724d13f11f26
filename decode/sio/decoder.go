package sio

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/sioproxy/sioproxy/decode/internal/b64"
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
	// shared is TextShared's result, kept so a complete text packet costs
	// no allocation.
	shared Packet
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
	p, err := d.text(data)
	if p == nil {
		return nil, err
	}
	c := *p
	return &c, err
}

// TextShared is Text for a caller that is done with the packet before it
// next calls d: a complete packet is returned in storage d reuses, which
// saves a heap packet per message (the analyzer decodes every Socket.IO
// message through here). Data still aliases data.
func (d *Decoder) TextShared(data []byte) (*Packet, error) {
	return d.text(data)
}

// DoneShared forgets TextShared's packet. Its Data aliases the message,
// and a session keeps its decoders for minutes after its last message: a
// 1 MB event's buffer stayed live that long (the soak's headless live heap
// tripled).
func (d *Decoder) DoneShared() { d.shared = Packet{} }

func (d *Decoder) text(data []byte) (*Packet, error) {
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
		// A copy, so p itself stays off the heap on the usual path.
		pending := p
		d.pending = &pending
		return nil, dropped
	}
	d.shared = p
	return &d.shared, dropped
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
	if err := d.tooLarge(len(data)); err != nil {
		return nil, err
	}
	if copyData {
		data = clone(data)
	}
	return d.attach(data, nil)
}

// BinaryBase64 is BinaryOwned for an attachment that came as base64 text,
// which the caller has checked is canonical (eio.CanonicalBase64; an
// eio.Packet's Base64 always is) and hands over: the pending packet keeps
// the text in Base64, and ReplacePlaceholdersWith copies it as it is, so
// bytes that are only ever shown as base64 are never decoded. The size cap
// applies to the decoded length, and every result and error is Binary's
// for the decoded bytes. With nothing pending the text is decoded and
// handled as Binary does (a msgpack packet needs its bytes).
func (d *Decoder) BinaryBase64(text []byte) (*Packet, error) {
	if d.pending == nil {
		data, err := base64.StdEncoding.AppendDecode(nil, text)
		if err != nil {
			return nil, errAt(-1, "attachment is not base64: %v", err)
		}
		return d.binary(data, false)
	}
	if err := d.tooLarge(b64.DecodedLen(text)); err != nil {
		return nil, err
	}
	return d.attach(nil, text)
}

// tooLarge drops the pending packet when its next attachment, n bytes, is
// over the cap.
func (d *Decoder) tooLarge(n int) error {
	if n <= d.maxBytes() {
		return nil
	}
	p := d.pending
	d.pending = nil
	return errAt(-1, "%s: attachment %d of %d is %d bytes, over the %d-byte cap; dropped the %s",
		MsgAttachmentTooLarge, len(p.Buffers)+1, p.Attachments, n, d.maxBytes(), p.Type)
}

// attach adds the next attachment, as bytes or as base64 text, to the
// pending packet and returns the packet once it has them all.
func (d *Decoder) attach(data, text []byte) (*Packet, error) {
	p := d.pending
	switch {
	case text != nil:
		if p.Base64 == nil {
			p.Base64 = make([][]byte, len(p.Buffers), p.Attachments)
		}
		p.Base64 = append(p.Base64, text)
	case p.Base64 != nil:
		p.Base64 = append(p.Base64, nil)
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
