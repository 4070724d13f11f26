package sio

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// A minimal MessagePack reader and writer, enough for the maps that
// socket.io-msgpack-parser (notepack.io) produces, while the reader accepts
// every format safely: lengths are checked against the remaining input and
// nesting is capped, so no input can make it allocate without bound.

const maxMsgpackDepth = 256

type mpError struct {
	off int
	msg string
}

// mpReader walks one msgpack document.
type mpReader struct {
	b   []byte
	pos int
	err *mpError
}

func (r *mpReader) fail(off int, msg string) {
	if r.err == nil {
		r.err = &mpError{off, msg}
	}
}

// take returns the next n bytes, or nil after recording a truncation.
func (r *mpReader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.pos) {
		r.fail(r.pos, "truncated: "+strconv.FormatUint(n, 10)+" bytes announced, "+strconv.Itoa(len(r.b)-r.pos)+" left")
		return nil
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

func (r *mpReader) uint(n int) uint64 {
	s := r.take(uint64(n))
	switch len(s) {
	case 1:
		return uint64(s[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(s))
	case 4:
		return uint64(binary.BigEndian.Uint32(s))
	case 8:
		return binary.BigEndian.Uint64(s)
	}
	return 0
}

// mpKind is the shape of a msgpack value.
type mpKind uint8

const (
	mpInvalid mpKind = iota
	mpNil
	mpBool
	mpInt   // i holds the value
	mpUint  // u holds a uint64 above MaxInt64
	mpFloat // f holds the value
	mpStr   // raw holds the bytes
	mpBin   // raw holds the bytes
	mpArray // n elements follow
	mpMap   // n key/value pairs follow
	mpExt   // ext type in i, raw holds the data
)

type mpHead struct {
	kind  mpKind
	b     bool
	i     int64
	u     uint64
	f     float64
	n     uint64
	raw   []byte
	start int
	fix   bool // a fixext format (0xd4-0xd8)
}

// head reads one value's header; containers' elements follow it.
func (r *mpReader) head() mpHead {
	h := mpHead{start: r.pos}
	s := r.take(1)
	if s == nil {
		if r.err == nil {
			r.fail(r.pos, "truncated")
		}
		return h
	}
	c := s[0]
	switch {
	case c <= 0x7f:
		h.kind, h.i = mpInt, int64(c)
	case c <= 0x8f:
		h.kind, h.n = mpMap, uint64(c&0x0f)
	case c <= 0x9f:
		h.kind, h.n = mpArray, uint64(c&0x0f)
	case c <= 0xbf:
		h.kind, h.raw = mpStr, r.take(uint64(c&0x1f))
	case c >= 0xe0:
		h.kind, h.i = mpInt, int64(int8(c))
	}
	if h.kind != mpInvalid {
		return r.checkCount(h)
	}
	switch c {
	case 0xc0:
		h.kind = mpNil
	case 0xc2, 0xc3:
		h.kind, h.b = mpBool, c == 0xc3
	case 0xc4, 0xc5, 0xc6:
		h.kind, h.raw = mpBin, r.take(r.uint(1<<(c-0xc4)))
	case 0xc7, 0xc8, 0xc9:
		n := r.uint(1 << (c - 0xc7))
		h.kind, h.i = mpExt, int64(int8(r.uint(1)))
		h.raw = r.take(n)
	case 0xca:
		h.kind, h.f = mpFloat, float64(math.Float32frombits(uint32(r.uint(4))))
	case 0xcb:
		h.kind, h.f = mpFloat, math.Float64frombits(r.uint(8))
	case 0xcc, 0xcd, 0xce, 0xcf:
		h.kind, h.u = mpUint, r.uint(1<<(c-0xcc))
		if h.u <= math.MaxInt64 {
			h.kind, h.i = mpInt, int64(h.u)
		}
	case 0xd0:
		h.kind, h.i = mpInt, int64(int8(r.uint(1)))
	case 0xd1:
		h.kind, h.i = mpInt, int64(int16(r.uint(2)))
	case 0xd2:
		h.kind, h.i = mpInt, int64(int32(r.uint(4)))
	case 0xd3:
		h.kind, h.i = mpInt, int64(r.uint(8))
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		h.kind, h.i, h.fix = mpExt, int64(int8(r.uint(1))), true
		h.raw = r.take(1 << (c - 0xd4))
	case 0xd9, 0xda, 0xdb:
		h.kind, h.raw = mpStr, r.take(r.uint(1<<(c-0xd9)))
	case 0xdc, 0xdd:
		h.kind, h.n = mpArray, r.uint(2<<(c-0xdc))
	case 0xde, 0xdf:
		h.kind, h.n = mpMap, r.uint(2<<(c-0xde))
	default: // 0xc1 is never used
		r.fail(h.start, "invalid format byte 0xc1")
	}
	if r.err != nil {
		h.kind = mpInvalid
	}
	return r.checkCount(h)
}

// checkCount rejects containers announcing more elements than bytes left:
// each element takes at least one byte.
func (r *mpReader) checkCount(h mpHead) mpHead {
	per := uint64(1)
	if h.kind == mpMap {
		per = 2
	}
	if (h.kind == mpArray || h.kind == mpMap) && h.n > uint64(len(r.b)-r.pos)/per {
		r.fail(h.start, "container of "+strconv.FormatUint(h.n, 10)+" elements in "+strconv.Itoa(len(r.b)-r.pos)+" bytes")
		h.kind = mpInvalid
	}
	return h
}

// isUndefined reports notepack's encoding of undefined: fixext 1, type 0
// (notepack ignores the data byte).
func (h *mpHead) isUndefined() bool {
	return h.kind == mpExt && h.fix && h.i == 0 && len(h.raw) == 1
}

// skip consumes the elements of a value whose head was read.
func (r *mpReader) skip(h mpHead, depth int) {
	if depth > maxMsgpackDepth {
		r.fail(h.start, "nesting deeper than "+strconv.Itoa(maxMsgpackDepth))
		return
	}
	n := h.n
	if h.kind == mpMap {
		n *= 2
	} else if h.kind != mpArray {
		return
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		r.skip(r.head(), depth+1)
	}
}

// toJSON writes the value whose head was read as JSON, the way
// JSON.stringify would show what notepack decodes, except that bin and
// ArrayBuffer become {"_binary":"<base64>"}: a Date is its ISO string,
// undefined null (or nothing as a map value), NaN and infinities null, a
// BigInt its digits, other ext values [type,{"_binary":"<base64>"}].
func (r *mpReader) toJSON(dst []byte, h mpHead, depth int) []byte {
	if depth > maxMsgpackDepth {
		r.fail(h.start, "nesting deeper than "+strconv.Itoa(maxMsgpackDepth))
		return dst
	}
	switch h.kind {
	case mpNil:
		return append(dst, "null"...)
	case mpBool:
		return strconv.AppendBool(dst, h.b)
	case mpInt:
		return strconv.AppendInt(dst, h.i, 10)
	case mpUint:
		return strconv.AppendUint(dst, h.u, 10)
	case mpFloat:
		return appendJSFloat(dst, h.f)
	case mpStr:
		return appendQuote(dst, string(h.raw))
	case mpBin:
		return appendBinaryJSON(dst, h.raw)
	case mpExt:
		return appendExtJSON(dst, h)
	case mpArray:
		dst = append(dst, '[')
		for i := uint64(0); i < h.n && r.err == nil; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = r.toJSON(dst, r.head(), depth+1)
		}
		return append(dst, ']')
	case mpMap:
		dst = append(dst, '{')
		first := true
		for i := uint64(0); i < h.n && r.err == nil; i++ {
			k := r.head()
			mark := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			dst = r.keyJSON(dst, k)
			dst = append(dst, ':')
			v := r.head()
			if v.isUndefined() { // JSON.stringify drops undefined members
				dst = dst[:mark]
				continue
			}
			dst = r.toJSON(dst, v, depth+1)
			first = false
		}
		return append(dst, '}')
	}
	return dst
}

// keyJSON writes a map key as JavaScript would name the property.
func (r *mpReader) keyJSON(dst []byte, k mpHead) []byte {
	switch k.kind {
	case mpStr:
		return appendQuote(dst, string(k.raw))
	case mpNil, mpBool, mpInt, mpUint, mpFloat:
		v := r.toJSON(nil, k, 0)
		return appendQuote(dst, string(v))
	case mpArray, mpMap:
		r.skip(k, 1)
		if k.kind == mpMap {
			return appendQuote(dst, "[object Object]")
		}
	}
	return appendQuote(dst, "[key]")
}

func appendExtJSON(dst []byte, h mpHead) []byte {
	switch {
	case h.isUndefined():
		return append(dst, "null"...)
	case h.i == 0 && h.fix && len(h.raw) == 8: // notepack: Date, in ms
		ms := int64(binary.BigEndian.Uint64(h.raw))
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 0 || t.Year() > 9999 {
			return append(dst, "null"...)
		}
		return appendQuote(dst, t.Format("2006-01-02T15:04:05.000Z"))
	case h.i == 0 && !h.fix: // notepack: ArrayBuffer
		return appendBinaryJSON(dst, h.raw)
	case h.i == 1 && !h.fix && len(h.raw) > 0 && allDigitsSigned(h.raw): // notepack: BigInt as decimal text
		return append(dst, h.raw...)
	}
	// notepack decodes other ext values as [type, Buffer].
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, h.i, 10)
	dst = append(dst, ',')
	dst = appendBinaryJSON(dst, h.raw)
	return append(dst, ']')
}

func allDigitsSigned(b []byte) bool {
	if b[0] == '-' {
		b = b[1:]
	}
	return allDigits(b) && (len(b) == 1 || b[0] != '0')
}

// appendJSFloat formats f as JavaScript's Number#toString does for the
// common cases; NaN and infinities are null as in JSON.stringify.
func appendJSFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	s := strconv.AppendFloat(nil, f, 'e', -1, 64)
	// Go writes e-07, JavaScript e-7.
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' && i+2 < len(s) && s[i+2] == '0' && len(s)-i > 3 {
			s = append(s[:i+2], s[i+3:]...)
			break
		}
	}
	return append(dst, s...)
}

// mpWriter appends msgpack in notepack's choice of formats.
type mpWriter struct{ b []byte }

func (w *mpWriter) nil() { w.b = append(w.b, 0xc0) }

func (w *mpWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 0xc3)
	} else {
		w.b = append(w.b, 0xc2)
	}
}

func (w *mpWriter) lenHead(n int, fix, fixMax byte, f8, f16, f32 byte) {
	switch {
	case fix != 0 && n <= int(fixMax):
		w.b = append(w.b, fix|byte(n))
	case f8 != 0 && n < 1<<8:
		w.b = append(w.b, f8, byte(n))
	case n < 1<<16:
		w.b = append(w.b, f16, byte(n>>8), byte(n))
	default:
		w.b = append(w.b, f32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (w *mpWriter) str(s string) {
	w.lenHead(len(s), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.b = append(w.b, s...)
}

func (w *mpWriter) bin(b []byte) {
	w.lenHead(len(b), 0, 0, 0xc4, 0xc5, 0xc6)
	w.b = append(w.b, b...)
}

func (w *mpWriter) ext(typ int8, b []byte) {
	switch len(b) {
	case 1, 2, 4, 8, 16:
		w.b = append(w.b, 0xd4+byte(log2(len(b))), byte(typ))
	default:
		w.lenHead(len(b), 0, 0, 0xc7, 0xc8, 0xc9)
		w.b = append(w.b, byte(typ))
	}
	w.b = append(w.b, b...)
}

func log2(n int) int {
	i := 0
	for n > 1 {
		n >>= 1
		i++
	}
	return i
}

func (w *mpWriter) arrayHead(n int) { w.lenHead(n, 0x90, 15, 0, 0xdc, 0xdd) }
func (w *mpWriter) mapHead(n int)   { w.lenHead(n, 0x80, 15, 0, 0xde, 0xdf) }

func (w *mpWriter) int(v int64) {
	switch {
	case v >= 0:
		w.uint(uint64(v))
	case v >= -32:
		w.b = append(w.b, byte(v))
	case v >= -128:
		w.b = append(w.b, 0xd0, byte(v))
	case v >= -32768:
		w.b = append(w.b, 0xd1, byte(v>>8), byte(v))
	case v >= -1<<31:
		w.b = append(w.b, 0xd2)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(v))
	default:
		w.b = append(w.b, 0xd3)
		w.b = binary.BigEndian.AppendUint64(w.b, uint64(v))
	}
}

func (w *mpWriter) uint(v uint64) {
	switch {
	case v < 0x80:
		w.b = append(w.b, byte(v))
	case v < 1<<8:
		w.b = append(w.b, 0xcc, byte(v))
	case v < 1<<16:
		w.b = append(w.b, 0xcd, byte(v>>8), byte(v))
	case v < 1<<32:
		w.b = append(w.b, 0xce)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(v))
	default:
		w.b = append(w.b, 0xcf)
		w.b = binary.BigEndian.AppendUint64(w.b, v)
	}
}

func (w *mpWriter) float(f float64) {
	w.b = append(w.b, 0xcb)
	w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(f))
}
