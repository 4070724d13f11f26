package eio

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
)

// v3 text payloads are "<len>:<packet>" records where len counts UTF-16 code
// units, because engine.io-parser 2.x measured JavaScript string lengths.
// Decoding therefore walks runes; a length that ends inside a surrogate pair
// or runs over invalid UTF-8 cannot describe a real JavaScript string and is
// an error.

func errV3(i, off int, format string, args ...any) *decode.Error {
	e := decode.Errorf("eio3", off, format, args...)
	e.Index = i
	return e
}

// parseLen reads decimal digits up to stop. The value saturates just above
// limit so absurd prefixes (99999999999) neither overflow nor allocate; the
// caller reports them by their digits.
func parseLen(b []byte, off int, stop byte, limit int, digit func(byte) (int, bool)) (n, end int, bad int) {
	for end = off; end < len(b) && b[end] != stop; end++ {
		d, ok := digit(b[end])
		if !ok {
			return 0, end, end
		}
		if n <= limit {
			n = n*10 + d
		}
	}
	return n, end, -1
}

func asciiDigit(c byte) (int, bool) { return int(c - '0'), c >= '0' && c <= '9' }
func byteDigit(c byte) (int, bool)  { return int(c), c <= 9 }

func appendPayloadV3(dst []Packet, body []byte, keep bool) ([]Packet, error) {
	if len(body) == 0 {
		return dst, errV3(0, 0, "empty payload")
	}
	dst = reserve(dst, countV3Records(body))
	off := 0
	for i := 0; off < len(body); i++ {
		start := off
		n, colon, bad := parseLen(body, off, ':', len(body), asciiDigit)
		switch {
		case bad >= 0:
			return dst, errV3(i, bad, "invalid length character %s", quoteByte(body[bad]))
		case colon == len(body):
			return dst, errV3(i, start, "length %q without ':'", body[start:colon])
		case colon == start:
			return dst, errV3(i, start, "empty length before ':'")
		}
		msgStart := colon + 1
		if n > len(body)-msgStart {
			return dst, errV3(i, start, "length %s exceeds the %d bytes left", body[start:colon], len(body)-msgStart)
		}
		end, errOff, msg := skipUTF16(body, msgStart, n)
		if msg != "" {
			return dst, errV3(i, errOff, "%s", msg)
		}
		off = end
		if n == 0 {
			// "0:" is the empty payload; engine.io-parser skips it.
			continue
		}
		p, at, msg := decodeText(V3, body[msgStart:end], keep)
		if msg != "" {
			return dst, errV3(i, msgStart+at, "%s", msg)
		}
		dst = append(dst, p)
	}
	return dst, nil
}

// countV3Records estimates the record count from colons that follow a digit:
// every length prefix ends that way, while JSON keys end in a quote.
func countV3Records(body []byte) int {
	n := 0
	for off := 0; n < maxPrealloc; {
		i := bytes.IndexByte(body[off:], ':')
		if i < 0 {
			break
		}
		if j := off + i; j > 0 && body[j-1] >= '0' && body[j-1] <= '9' {
			n++
		}
		off += i + 1
	}
	return n
}

// countXHR2Records walks the XHR2 record headers without validating them;
// the decoder reports any damage.
func countXHR2Records(body []byte) int {
	n := 0
	for off := 0; off < len(body) && n < maxPrealloc; n++ {
		ff := bytes.IndexByte(body[off:], 0xff)
		if ff < 1 {
			break
		}
		l := 0
		for _, d := range body[off+1 : off+ff] {
			if l > len(body) {
				break
			}
			l = l*10 + int(d)
		}
		off += ff + 1 + l
	}
	return n
}

// skipUTF16 returns the offset just after n UTF-16 code units from off.
func skipUTF16(b []byte, off, n int) (end, errOff int, msg string) {
	start := off
	units := 0
	for units < n {
		// ASCII runs dominate real payloads: take eight bytes at a time.
		for n-units >= 8 && len(b)-off >= 8 && binary.LittleEndian.Uint64(b[off:])&0x8080808080808080 == 0 {
			units += 8
			off += 8
		}
		if units >= n {
			break
		}
		if off >= len(b) {
			return 0, start, "length " + strconv.Itoa(n) + " exceeds the payload: it ends after " + strconv.Itoa(units) + " UTF-16 units"
		}
		if c := b[off]; c < utf8.RuneSelf {
			units++
			off++
			continue
		}
		r, size := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && size == 1 {
			return 0, off, "invalid UTF-8 byte " + quoteByte(b[off])
		}
		if r >= 0x10000 {
			if units+2 > n {
				return 0, off, "length " + strconv.Itoa(n) + " ends inside a surrogate pair"
			}
			units += 2
		} else {
			units++
		}
		off += size
	}
	return off, 0, ""
}

// utf16Len counts UTF-16 code units; an invalid byte counts as one unit, as
// it becomes U+FFFD when a JavaScript peer decodes it.
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// appendPayloadXHR2 decodes the v3 binary payload form: per record a kind
// byte (0x00 text, 0x01 binary), the length's decimal digits as bytes 0-9,
// 0xFF, then the packet. Lengths count bytes here.
func appendPayloadXHR2(dst []Packet, body []byte, keep bool) ([]Packet, error) {
	if len(body) == 0 {
		return dst, errV3(0, 0, "empty payload")
	}
	dst = reserve(dst, countXHR2Records(body))
	off := 0
	for i := 0; off < len(body); i++ {
		start := off
		kind := body[off]
		if kind > 1 {
			return dst, errV3(i, off, "record kind byte 0x%02x, want 0x00 (text) or 0x01 (binary)", kind)
		}
		n, ff, bad := parseLen(body, off+1, 0xff, len(body), byteDigit)
		switch {
		case bad >= 0:
			return dst, errV3(i, bad, "length digit byte 0x%02x, want 0x00-0x09", body[bad])
		case ff == len(body):
			return dst, errV3(i, start, "record header without 0xFF terminator")
		case ff == off+1:
			return dst, errV3(i, ff, "empty length before 0xFF")
		}
		recStart := ff + 1
		if n > len(body)-recStart {
			return dst, errV3(i, start, "length %s exceeds the %d bytes left", digitString(body[off+1:ff]), len(body)-recStart)
		}
		rec := body[recStart : recStart+n]
		off = recStart + n
		if kind == 1 {
			if n == 0 {
				return dst, errV3(i, recStart, "empty binary record")
			}
			t := PacketType(rec[0])
			if !t.Valid() {
				return dst, errV3(i, recStart, "unknown packet type byte 0x%02x", rec[0])
			}
			dst = append(dst, Packet{Type: t, Data: rec[1:], Binary: true})
			continue
		}
		if bad := invalidUTF8(rec); bad >= 0 {
			return dst, errV3(i, recStart+bad, "invalid UTF-8 byte %s", quoteByte(rec[bad]))
		}
		p, at, msg := decodeText(V3, rec, keep)
		if msg != "" {
			return dst, errV3(i, recStart+at, "%s", msg)
		}
		dst = append(dst, p)
	}
	return dst, nil
}

// digitString renders XHR2 length digit bytes for an error, capped because a
// hostile prefix can be arbitrarily long.
func digitString(d []byte) string {
	if len(d) > 24 {
		d = d[:24]
	}
	s := make([]byte, len(d))
	for i, c := range d {
		s[i] = '0' + c
	}
	return string(s)
}

// invalidUTF8 returns the offset of the first invalid byte, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// EncodePayloadV3 encodes a v3 polling body: the text form ("<len>:<packet>",
// binary as "b<type><base64>"), or with xhr2 the binary form a server sends
// to a client that supports binary when the batch holds binary packets. No
// packets encode as "0:" in both forms, as engine.io-parser 2.x does.
func EncodePayloadV3(ps []Packet, xhr2 bool) []byte {
	if len(ps) == 0 {
		return []byte("0:")
	}
	if xhr2 {
		return encodeXHR2(ps)
	}
	size := 0
	for _, p := range ps {
		size += 12 + len(p.Data)
		if p.Binary {
			size += base64.StdEncoding.EncodedLen(len(p.Data))
		}
	}
	out := make([]byte, 0, size)
	for _, p := range ps {
		if p.Binary {
			n := 2 + base64.StdEncoding.EncodedLen(len(p.Data))
			out = strconv.AppendInt(out, int64(n), 10)
			out = append(out, ':')
			out = appendBase64Record(out, V3, p)
			continue
		}
		out = strconv.AppendInt(out, int64(1+utf16Len(p.Data)), 10)
		out = append(out, ':')
		out = appendText(out, p)
	}
	return out
}

func encodeXHR2(ps []Packet) []byte {
	size := 0
	for _, p := range ps {
		size += 24 + len(p.Data)
	}
	out := make([]byte, 0, size)
	for _, p := range ps {
		kind, t := byte(0), '0'+byte(p.Type)
		if p.Binary {
			kind, t = 1, byte(p.Type)
		}
		out = append(out, kind)
		mark := len(out)
		out = strconv.AppendInt(out, int64(1+len(p.Data)), 10)
		for j := mark; j < len(out); j++ {
			out[j] -= '0'
		}
		out = append(out, 0xff, t)
		out = append(out, p.Data...)
	}
	return out
}
