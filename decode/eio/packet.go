package eio

import (
	"encoding/base64"
	"strconv"

	"github.com/sioproxy/sioproxy/decode"
)

// Version is the Engine.IO protocol revision (the EIO query parameter).
type Version int

const (
	V3 Version = 3
	V4 Version = 4
)

func (v Version) String() string { return "EIO" + strconv.Itoa(int(v)) }

// layer names the decoder in errors, so v3 and v4 faults stay distinguishable.
func (v Version) layer() string {
	if v == V3 {
		return "eio3"
	}
	return "eio"
}

// PacketType is an Engine.IO packet type (the leading type character).
type PacketType byte

const (
	Open PacketType = iota
	Close
	Ping
	Pong
	Message
	Upgrade
	Noop
)

var typeNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the seven defined types.
func (t PacketType) Valid() bool { return t <= Noop }

// Packet is one Engine.IO packet.
//
// Data aliases the decoder's input whenever the wire form holds the bytes
// verbatim (text packets, raw binary frames, XHR2 records); base64 records,
// JSONP and form bodies are decoded into fresh memory. Callers that keep a
// Packet beyond the life of the input buffer must copy Data (and Base64).
type Packet struct {
	Type   PacketType
	Data   []byte // text after the type character, or the binary bytes
	Binary bool   // Data is binary (raw frame, XHR2 binary record or base64 record)
	// Base64 is set only by a payload decoded with KeepBase64, on a base64
	// record whose text is canonical (see CanonicalBase64): it is that
	// text, aliasing the input, and Data is nil. Len and Bytes give the
	// bytes' length and the bytes.
	Base64 []byte
}

// DecodePacket decodes one WebSocket message (or one WebTransport record).
// binary says the message arrived in a binary frame: in v4 it is a message
// packet holding the raw bytes, in v3 its first byte is the packet type. A
// text message "b…" is base64 binary in both versions (v3 adds a type char).
func DecodePacket(v Version, msg []byte, binary bool) (Packet, error) {
	if binary {
		if v == V3 {
			if len(msg) == 0 {
				return Packet{}, decode.Errorf("eio3", 0, "empty binary message")
			}
			t := PacketType(msg[0])
			if !t.Valid() {
				return Packet{}, decode.Errorf("eio3", 0, "unknown packet type byte 0x%02x", msg[0])
			}
			return Packet{Type: t, Data: msg[1:], Binary: true}, nil
		}
		return Packet{Type: Message, Data: msg, Binary: true}, nil
	}
	p, off, msgText := decodeText(v, msg, false)
	if msgText != "" {
		return Packet{}, decode.Errorf(v.layer(), off, "%s", msgText)
	}
	return p, nil
}

// decodeText decodes the text form of a packet. It reports failure as a
// message and the offset inside msg rather than an error value, so payload
// decoders can wrap it with their own index and base offset without
// allocating twice. keep leaves canonical base64 undecoded (Packet.Base64).
func decodeText(v Version, msg []byte, keep bool) (Packet, int, string) {
	if len(msg) == 0 {
		return Packet{}, 0, "empty packet"
	}
	c := msg[0]
	if c == 'b' {
		off := 1
		t := Message
		if v == V3 {
			if len(msg) < 2 {
				return Packet{}, 1, "base64 packet without a type character"
			}
			t = PacketType(msg[1] - '0')
			if msg[1] < '0' || !t.Valid() {
				return Packet{}, 1, "unknown packet type " + strconv.Quote(string(msg[1:2])) + " in base64 packet"
			}
			off = 2
		}
		if keep {
			if _, ok := CanonicalBase64(msg[off:]); ok {
				return Packet{Type: t, Binary: true, Base64: msg[off:len(msg):len(msg)]}, 0, ""
			}
		}
		data, err := decodeBase64(msg[off:])
		if err != nil {
			return Packet{}, off, "invalid base64 data: " + err.Error()
		}
		return Packet{Type: t, Data: data, Binary: true}, 0, ""
	}
	t := PacketType(c - '0')
	if c < '0' || !t.Valid() {
		return Packet{}, 0, "unknown packet type " + quoteByte(c)
	}
	return Packet{Type: t, Data: msg[1:]}, 0, ""
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.Quote(string(rune(c)))
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// decodeBase64 accepts padded and unpadded standard base64: Node's
// Buffer.from(s, "base64") takes both, so real peers may send either.
func decodeBase64(s []byte) ([]byte, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	dst := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(dst, s)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// EncodePacket encodes p as one WebSocket message and says whether it goes
// in a binary frame. A v4 binary packet is always a message: only its Data is
// sent. A v3 binary packet is the type byte followed by Data.
func EncodePacket(v Version, p Packet) (data []byte, binary bool) {
	if p.Binary {
		if v == V3 {
			out := make([]byte, 0, 1+len(p.Data))
			return append(append(out, byte(p.Type)), p.Data...), true
		}
		return p.Data, true
	}
	return appendText(make([]byte, 0, 1+len(p.Data)), p), false
}

// EncodePacketBase64 encodes p as a text message the way a server does for a
// client that asked for b64: binary packets become "b<base64>" (v4) or
// "b<type><base64>" (v3); text packets are unchanged.
func EncodePacketBase64(v Version, p Packet) []byte {
	if !p.Binary {
		return appendText(nil, p)
	}
	return appendBase64Record(nil, v, p)
}

func appendText(dst []byte, p Packet) []byte {
	return append(append(dst, '0'+byte(p.Type)), p.Data...)
}

func appendBase64Record(dst []byte, v Version, p Packet) []byte {
	dst = append(dst, 'b')
	if v == V3 {
		dst = append(dst, '0'+byte(p.Type))
	}
	return base64.StdEncoding.AppendEncode(dst, p.Data)
}
