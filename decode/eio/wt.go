package eio

import (
	"encoding/binary"
	"strconv"

	"github.com/sioproxy/sioproxy/decode"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// DefaultWTMax is WTParser's payload cap when Max is 0: engine.io's default
// maxHttpBufferSize.
const DefaultWTMax = 1_000_000

// WTParser reads Engine.IO packets from a WebTransport bidirectional stream
// (engine.io 6.5+): per packet a header byte with bit 7 = binary and the low
// 7 bits a length ≤125, or 126/127 announcing a 2/8-byte big-endian length.
// Text payloads are "<type><data>" (v4), binary payloads are raw messages.
// It is incremental: Feed any split of the stream. After an error the
// stream has lost framing and every further Feed returns that error.
type WTParser struct {
	Max int64 // largest accepted payload; 0 means DefaultWTMax

	hdr     [9]byte
	hdrN    int
	need    int64 // payload length of the current packet, 0 while reading a header
	binary  bool
	buf     []byte // partial payload
	off     int64  // stream offset, for errors
	err     error
	packets int
}

// WTHeader decodes a record header at the start of b. n is the header size,
// or 0 if b is too short to hold the whole header.
func WTHeader(b []byte) (length uint64, binary bool, n int) {
	if len(b) == 0 {
		return 0, false, 0
	}
	binary = b[0]&0x80 != 0
	switch l := b[0] & 0x7f; l {
	case 126:
		if len(b) < 3 {
			return 0, binary, 0
		}
		return uint64(binary16(b[1:])), binary, 3
	case 127:
		if len(b) < 9 {
			return 0, binary, 0
		}
		return binaryBE64(b[1:]), binary, 9
	default:
		return uint64(l), binary, 1
	}
}

func binary16(b []byte) uint16   { return binary.BigEndian.Uint16(b) }
func binaryBE64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func wtHeaderSize(first byte) int {
	switch first & 0x7f {
	case 126:
		return 3
	case 127:
		return 9
	}
	return 1
}

// Feed consumes b and calls emit for each completed packet. Packet data
// aliases b when a packet lies wholly inside it, otherwise a fresh buffer.
func (p *WTParser) Feed(b []byte, emit func(Packet)) error {
	if p.err != nil {
		return p.err
	}
	max := p.Max
	if max <= 0 {
		max = DefaultWTMax
	}
	for len(b) > 0 {
		if p.need == 0 {
			if p.hdrN == 0 && len(b) >= wtHeaderSize(b[0]) {
				length, bin, n := WTHeader(b)
				if err := p.startPacket(length, bin, max, p.off); err != nil {
					return err
				}
				b = b[n:]
				p.off += int64(n)
			} else {
				p.hdr[p.hdrN] = b[0]
				p.hdrN++
				b = b[1:]
				p.off++
				length, bin, n := WTHeader(p.hdr[:p.hdrN])
				if n == 0 {
					continue
				}
				p.hdrN = 0
				if err := p.startPacket(length, bin, max, p.off-int64(n)); err != nil {
					return err
				}
			}
			continue
		}
		var data []byte
		if len(p.buf) == 0 && int64(len(b)) >= p.need {
			data, b = b[:p.need], b[p.need:]
		} else {
			take := min(int64(len(b)), p.need-int64(len(p.buf)))
			p.buf = append(p.buf, b[:take]...)
			b = b[take:]
			if int64(len(p.buf)) < p.need {
				p.off += take
				continue
			}
			data, p.buf = p.buf, nil
			p.off += take - int64(len(data))
		}
		start := p.off
		p.off += int64(len(data))
		p.need = 0
		if err := p.finishPacket(data, start, emit); err != nil {
			return err
		}
	}
	return nil
}

func (p *WTParser) startPacket(length uint64, bin bool, max, hdrStart int64) error {
	if length == 0 {
		return p.fail(hdrStart, "zero-length packet")
	}
	if length > uint64(max) {
		return p.fail(hdrStart, "packet length "+strconv.FormatUint(length, 10)+" exceeds the "+itoa(max)+"-byte cap")
	}
	p.need, p.binary = int64(length), bin
	return nil
}

func (p *WTParser) finishPacket(data []byte, start int64, emit func(Packet)) error {
	i := p.packets
	p.packets++
	if p.binary {
		emit(Packet{Type: Message, Data: data, Binary: true})
		return nil
	}
	pk, at, msg := decodeText(V4, data, false)
	if msg != "" {
		p.err = &decode.Error{Layer: "eio", Offset: int(start) + at, Index: i, Msg: msg}
		return p.err
	}
	emit(pk)
	return nil
}

func (p *WTParser) fail(off int64, msg string) error {
	p.err = &decode.Error{Layer: "eio", Offset: int(off), Index: p.packets, Msg: "webtransport: " + msg}
	return p.err
}

// EncodeWT frames p for a WebTransport stream, choosing the shortest length
// form as engine.io-parser does. An empty binary packet cannot be framed
// (length 0 is an error to the receiver), so it goes as the text record "b",
// which decodes to the same packet.
func EncodeWT(p Packet) []byte {
	if p.Binary && len(p.Data) == 0 {
		return []byte{0x01, 'b'}
	}
	n := len(p.Data)
	if !p.Binary {
		n++
	}
	out := make([]byte, 0, 9+n)
	var flag byte
	if p.Binary {
		flag = 0x80
	}
	switch {
	case n < 126:
		out = append(out, flag|byte(n))
	case n < 65536:
		out = append(out, flag|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, flag|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if p.Binary {
		return append(out, p.Data...)
	}
	return appendText(out, p)
}
