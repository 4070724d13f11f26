// Package sio decodes and encodes Socket.IO packets, protocol 5 (socket.io
// 3+, parser 4.x) and protocol 4 (socket.io 1.x/2.x, parser 3.x), in the
// default text form with binary attachments and in the msgpack form of
// socket.io-msgpack-parser. It is sans-IO: the caller feeds it the data of
// each Engine.IO message.
//
// Validation follows socket.io-parser 4.2.x (protocol 5) and 3.4.x
// (protocol 4) closely, including its quirks, because the point is to show
// what the real server will accept; error messages start with the real
// parser's text (see the Msg constants) and add the offending value.
package sio

import (
	"strconv"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
)

// PacketType is the Socket.IO packet type, the first character on the wire.
type PacketType byte

const (
	Connect      PacketType = iota // CONNECT
	Disconnect                     // DISCONNECT
	Event                          // EVENT
	Ack                            // ACK
	ConnectError                   // CONNECT_ERROR (ERROR in protocol 4)
	BinaryEvent                    // BINARY_EVENT
	BinaryAck                      // BINARY_ACK
)

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// IsBinary reports whether packets of this type carry attachments.
func (t PacketType) IsBinary() bool { return t == BinaryEvent || t == BinaryAck }

// The real parsers' error texts; every decode error's Msg starts with one.
const (
	MsgUnknownType           = "unknown packet type"
	MsgIllegalAttachments    = "Illegal attachments" // bad attachment count in the header
	MsgTooManyAttachments    = "too many attachments"
	MsgInvalidPayload        = "invalid payload"
	MsgIllegalPlaceholder    = "illegal attachments" // bad placeholder num (lower case, as in binary.ts)
	MsgPlaintextWhilePending = "got plaintext data when reconstructing a packet"
	MsgBinaryNotPending      = "got binary data when not reconstructing a packet"
	MsgAttachmentTooLarge    = "attachment too large" // sioproxy's own cap
	MsgInvalidAckID          = "invalid ack id"       // JavaScript would yield NaN or lose digits
)

// DefaultMaxAttachments is socket.io-parser's cap (4.2.6, 3.4.4).
const DefaultMaxAttachments = 10

// Packet is one decoded Socket.IO packet.
type Packet struct {
	Type        PacketType
	Attachments int    // announced binary attachments (BINARY_* only)
	Nsp         string // namespace, "/" when absent
	Query       string // protocol 4: the query after '?' in the namespace
	ID          int64  // ack id, valid when HasID
	HasID       bool
	// IDUnsigned: ID holds the bits of a msgpack uint64 above MaxInt64;
	// shown and re-encoded as that unsigned value, never clamped.
	IDUnsigned bool
	// Data is the raw JSON payload, nil if absent. From Parse and ParseHeader
	// it aliases the input; the Decoder copies it for packets it holds.
	Data []byte
	// Buffers are the binary attachments, in placeholder order, once the
	// Decoder has them all. Data keeps its {"_placeholder":true,"num":N}.
	Buffers [][]byte
	// Base64 holds the attachments handed to the Decoder as base64 text
	// (BinaryBase64): where Base64[i] is not nil, attachment i is that
	// canonical padded standard base64 and Buffers[i] is nil. Base64 is nil
	// when every attachment came as bytes. ReplacePlaceholdersWith shows
	// both kinds.
	Base64  [][]byte
	Msgpack bool // decoded by the msgpack parser
	// Compact vouches that Data is one valid JSON value with no whitespace
	// outside strings, nested at most 10000 deep (encoding/json's limit),
	// so a JSON writer may copy it without scanning it again. Parse and
	// the Decoder set it after validating Data; DecodeMsgpack sets it for
	// the JSON it writes. False promises nothing. Whoever changes Data
	// must clear it unless the change keeps the promise.
	Compact bool
}

func errAt(off int, format string, args ...any) *decode.Error {
	return decode.Errorf("sio", off, format, args...)
}

// ParseHeader decodes the header of one text packet (the Engine.IO message
// data without its '4'): type, attachment count, namespace and ack id. It
// does not look at the JSON, whose offset it returns. It allocates only for
// a namespace other than "/".
func ParseHeader(s []byte) (Packet, int, error) {
	return parseHeader(s, DefaultMaxAttachments)
}

func parseHeader(s []byte, maxAtt int) (Packet, int, error) {
	p := Packet{Nsp: "/"}
	// Number(str.charAt(0)): the empty string and spaces are 0, CONNECT.
	if len(s) == 0 {
		return p, 0, nil
	}
	cur := 1 // byte offset just after the current character
	switch c := s[0]; {
	case c >= '0' && c <= '6':
		p.Type = PacketType(c - '0')
	case c >= '7' && c <= '9':
		return p, 0, errAt(0, "%s %c", MsgUnknownType, c)
	default:
		w := spaceAt(s, 0)
		if w == 0 {
			r, _ := utf8.DecodeRune(s)
			return p, 0, errAt(0, "%s NaN (%q is not a digit)", MsgUnknownType, r)
		}
		cur = w
	}

	if p.Type.IsBinary() {
		dash := -1
		for i := cur; i < len(s); i++ {
			if s[i] == '-' {
				dash = i
				break
			}
		}
		if dash < 0 {
			return p, 0, errAt(cur, "%s: no '-' after the count in %q", MsgIllegalAttachments, clip(s))
		}
		n, ok := jsNumber(s[cur:dash])
		switch {
		case !ok || n != float64(int64(n)) || n < 0:
			return p, 0, errAt(cur, "%s: count %q is not a non-negative integer", MsgIllegalAttachments, s[cur:dash])
		case n > float64(maxAtt):
			return p, 0, errAt(cur, "%s: %s announced, the limit is %d", MsgTooManyAttachments, s[cur:dash], maxAtt)
		case n == 0:
			// Parser 4.2.6 emitted such packets and then wedged; 3.4.x and
			// 4.2.7 reject them.
			return p, 0, errAt(cur, "%s: count is 0", MsgIllegalAttachments)
		}
		p.Attachments = int(n)
		cur = dash + 1
	}

	if cur < len(s) && s[cur] == '/' {
		end := len(s)
		next := len(s)
		for i := cur; i < len(s); i++ {
			if s[i] == ',' {
				end, next = i, i+1
				break
			}
		}
		if end-cur != 1 {
			p.Nsp = string(s[cur:end])
		}
		cur = next
	}

	// The parser takes any character c with Number(c) == c as part of the
	// id: digits, and also spaces (Number(" ") is 0).
	if cur < len(s) && (isDigit(s[cur]) || spaceAt(s, cur) > 0) {
		start := cur
		for cur < len(s) {
			if isDigit(s[cur]) {
				cur++
			} else if w := spaceAt(s, cur); w > 0 {
				cur += w
			} else {
				break
			}
		}
		id, err := parseAckID(s[start:cur], start)
		if err != nil {
			return p, 0, err
		}
		p.ID, p.HasID = id, true
	}
	if cur < len(s) {
		p.Data = s[cur:]
	}
	return p, cur, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func parseAckID(run []byte, off int) (int64, error) {
	digits := trimJSSpace(run)
	if len(digits) <= 18 && (len(digits) == 0 || allDigits(digits)) {
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		return n, nil
	}
	if !allDigits(digits) {
		return 0, errAt(off, "%s %q: spaces inside the digits (JavaScript reads NaN)", MsgInvalidAckID, run)
	}
	f, _ := strconv.ParseFloat(string(digits), 64)
	if f >= 9.2e18 {
		return 0, errAt(off, "%s %q: out of range", MsgInvalidAckID, digits)
	}
	// Past 2^53 JavaScript keeps only the nearest double; so do we.
	return int64(f), nil
}

// clip shortens s for an error message.
func clip(s []byte) []byte {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// Parse decodes and validates one text packet as socket.io-parser does for
// the given protocol (5, or 4 for Engine.IO v3 sessions). In protocol 4 a
// query after '?' in the namespace moves to Query.
func Parse(s []byte, protocol int) (Packet, error) {
	return parse(s, protocol, DefaultMaxAttachments)
}

func parse(s []byte, protocol, maxAtt int) (Packet, error) {
	p, off, err := parseHeader(s, maxAtt)
	if err != nil {
		return p, err
	}
	if protocol == 4 {
		for i := 0; i < len(p.Nsp); i++ {
			if p.Nsp[i] == '?' {
				p.Nsp, p.Query = p.Nsp[:i], p.Nsp[i+1:]
				break
			}
		}
	}
	if p.Data != nil {
		compact, err := validatePayload(p.Type, p.Data, off, protocol)
		if err != nil {
			return p, err
		}
		p.Compact = compact
	}
	return p, nil
}

var reservedEvents = [...]string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

var kindNames = [...]string{tkError: "invalid", tkEOF: "nothing", tkBeginObj: "an object", tkBeginArr: "an array",
	tkEndObj: "'}'", tkEndArr: "']'", tkString: "a string", tkNumber: "a number", tkTrue: "true", tkFalse: "false", tkNull: "null"}

// validatePayload applies the parser's isPayloadValid to data, which starts
// at byte off of the packet, and reports whether data is compact (see
// Packet.Compact).
func validatePayload(t PacketType, data []byte, off, protocol int) (bool, error) {
	l := newLexer(data)
	top := l.next()
	first, tok := top, top
	if top.kind == tkBeginArr {
		first = l.next()
		tok = first
	}
	for ; tok.kind != tkEOF; tok = l.next() {
		if tok.kind == tkError {
			return false, errAt(off+l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
		}
	}
	kind := kindNames[top.kind]
	if protocol == 4 {
		// parser 3.4.x: payload !== false && (type === ERROR || isArray(payload))
		switch {
		case top.kind == tkFalse:
			return false, errAt(off, "%s: %s payload is false", MsgInvalidPayload, t)
		case t != ConnectError && top.kind != tkBeginArr:
			return false, errAt(off, "%s: %s payload must be an array in protocol 4, got %s", MsgInvalidPayload, t, kind)
		}
		return l.compact(), nil
	}
	switch t {
	case Connect:
		if top.kind != tkBeginObj {
			return false, errAt(off, "%s: CONNECT payload must be an object, got %s", MsgInvalidPayload, kind)
		}
	case Disconnect:
		return false, errAt(off, "%s: DISCONNECT takes no payload, got %s", MsgInvalidPayload, kind)
	case ConnectError:
		if top.kind != tkBeginObj && top.kind != tkString {
			return false, errAt(off, "%s: CONNECT_ERROR payload must be a string or an object, got %s", MsgInvalidPayload, kind)
		}
	case Ack, BinaryAck:
		if top.kind != tkBeginArr {
			return false, errAt(off, "%s: %s payload must be an array, got %s", MsgInvalidPayload, t, kind)
		}
	case Event, BinaryEvent:
		if top.kind != tkBeginArr {
			return false, errAt(off, "%s: %s payload must be an array, got %s", MsgInvalidPayload, t, kind)
		}
		switch first.kind {
		case tkEndArr:
			return false, errAt(off, "%s: %s payload is an empty array, the event name is missing", MsgInvalidPayload, t)
		case tkNumber:
		case tkString:
			raw := data[first.start:first.end]
			for _, r := range reservedEvents {
				if strIs(raw, r) {
					return false, errAt(off+first.start, "%s: event name %s is reserved", MsgInvalidPayload, raw)
				}
			}
		default:
			return false, errAt(off+first.start, "%s: event name must be a string or a number, got %s", MsgInvalidPayload, kindNames[first.kind])
		}
	}
	return l.compact(), nil
}

// EventName returns the first argument of an EVENT or BINARY_EVENT when it
// is a string, else "".
func (p *Packet) EventName() string {
	if (p.Type != Event && p.Type != BinaryEvent) || p.Data == nil {
		return ""
	}
	l := newLexer(p.Data)
	if l.next().kind != tkBeginArr {
		return ""
	}
	if t := l.next(); t.kind == tkString {
		return unquote(p.Data[t.start:t.end])
	}
	return ""
}
