package ws

import "encoding/binary"

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0
	OpText         byte = 1
	OpBinary       byte = 2
	OpClose        byte = 8
	OpPing         byte = 9
	OpPong         byte = 10
)

const (
	maxHeader      = 14  // 2 + 8-byte length + 4-byte key
	maxControlData = 125 // RFC 6455 §5.5
)

// headerSize is the full header length implied by the first two bytes.
func headerSize(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// AppendFrame appends one frame to dst, masking the payload when mask is not
// nil, and using the shortest length form. The payload is not modified. It
// is the encoder for tests, the demo and replay; it does not compress (set
// rsv1 and pass already-deflated bytes for that).
func AppendFrame(dst []byte, opcode byte, fin bool, rsv1 bool, mask *[4]byte, payload []byte) []byte {
	b0 := opcode & 0x0f
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var m byte
	if mask != nil {
		m = 0x80
	}
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, b0, m|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, m|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if mask == nil {
		return append(dst, payload...)
	}
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	maskCopy(dst[start:], dst[start:], *mask, 0)
	return dst
}

// AppendClosePayload appends a close frame payload: the 2-byte code and the
// reason. A code of 0 means no code (and then no reason either), which the
// peer reports as 1005.
func AppendClosePayload(dst []byte, code int, reason string) []byte {
	if code == 0 {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}
