package sio

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
)

// phSpan is one placeholder object {"_placeholder":true,"num":N} in a
// payload.
type phSpan struct{ start, end, num int }

// phFrame tracks one open object while looking for placeholders; keys may
// repeat and, as in JSON.parse, the last one wins.
type phFrame struct {
	start    int
	isPH     bool // the last "_placeholder" was true
	numTok   token
	hasNum   bool
	wantNext int // 1: the next value is _placeholder's, 2: num's
}

// placeholders finds the placeholder objects of data the way the parser's
// reconstructPacket replaces them: outermost first (a placeholder's own
// members are never visited) and each num must index one of n buffers.
// Spans come back in input order.
func placeholders(data []byte, n int) ([]phSpan, error) {
	l := newLexer(data)
	var frames []phFrame
	var spans []phSpan
	// setValue records a value for the innermost open object's pending key.
	setValue := func(t token) {
		if len(frames) == 0 {
			return
		}
		f := &frames[len(frames)-1]
		switch f.wantNext {
		case 1:
			f.isPH = t.kind == tkTrue
		case 2:
			f.numTok, f.hasNum = t, true
		}
		f.wantNext = 0
	}
	for {
		t := l.next()
		switch t.kind {
		case tkError:
			return nil, errAt(l.errPos, "%s: not JSON: %s", MsgInvalidPayload, l.errMsg)
		case tkEOF:
			return outermost(spans, data, n)
		case tkBeginObj:
			setValue(t)
			frames = append(frames, phFrame{start: t.start})
		case tkBeginArr:
			setValue(t)
			frames = append(frames, phFrame{start: -1})
		case tkEndArr:
			frames = frames[:len(frames)-1]
		case tkEndObj:
			f := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			if f.isPH {
				num := -1
				if f.hasNum {
					num = placeholderNum(data, f.numTok)
				}
				spans = append(spans, phSpan{start: f.start, end: t.end, num: num})
			}
		case tkString:
			if t.key {
				if len(frames) > 0 {
					f := &frames[len(frames)-1]
					raw := data[t.start:t.end]
					switch {
					case strIs(raw, "_placeholder"):
						f.wantNext = 1
					case strIs(raw, "num"):
						f.wantNext = 2
					default:
						f.wantNext = 0
					}
				}
				continue
			}
			setValue(t)
		default:
			setValue(t)
		}
	}
}

// placeholderNum returns num's value when it is a non-negative integer,
// else -1. JavaScript would index with a fractional num and get undefined;
// sioproxy calls that illegal too.
func placeholderNum(data []byte, t token) int {
	if t.kind != tkNumber {
		return -1
	}
	f, err := strconv.ParseFloat(string(data[t.start:t.end]), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return -1
	}
	return int(f)
}

// outermost drops placeholders nested inside another and checks the rest.
func outermost(spans []phSpan, data []byte, n int) ([]phSpan, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	slices.SortFunc(spans, func(a, b phSpan) int { return a.start - b.start })
	out := spans[:0]
	end := -1
	for _, s := range spans {
		if s.start < end {
			continue
		}
		if s.num < 0 || s.num >= n {
			return nil, errAt(s.start, "%s: placeholder %s does not name one of %d attachments", MsgIllegalPlaceholder, clip(data[s.start:s.end]), n)
		}
		out = append(out, s)
		end = s.end
	}
	return out, nil
}

// ReplacePlaceholders returns data with every placeholder replaced by
// {"_binary":"<base64 of the buffer>"}, for output. A num that names no
// buffer is an "illegal attachments" error, as in the parser. The result
// is always a new slice, which the caller may change. It is compact (see
// Packet.Compact) when data is: the stand-in has no whitespace and no
// more nesting than the placeholder it replaces.
func ReplacePlaceholders(data []byte, bufs [][]byte) ([]byte, error) {
	return ReplacePlaceholdersWith(data, bufs, nil)
}

// ReplacePlaceholdersWith is ReplacePlaceholders for a packet some of whose
// attachments are held as base64 text (Packet.Base64): where b64[i] is not
// nil it is copied into the stand-in as it is, in place of encoding
// bufs[i]. Canonical text (all Decoder.BinaryBase64 accepts) is what
// encoding the bytes would write, so the result is the same.
func ReplacePlaceholdersWith(data []byte, bufs, b64 [][]byte) ([]byte, error) {
	spans, err := placeholders(data, len(bufs))
	if err != nil {
		return nil, err
	}
	text := func(i int) []byte {
		if i < len(b64) {
			return b64[i]
		}
		return nil
	}
	size := len(data)
	for _, s := range spans {
		n := len(text(s.num))
		if n == 0 {
			n = base64.StdEncoding.EncodedLen(len(bufs[s.num]))
		}
		size += n + len(binaryOpen) + len(binaryClose) - (s.end - s.start)
	}
	out := make([]byte, 0, max(size, 0))
	prev := 0
	for _, s := range spans {
		out = append(out, data[prev:s.start]...)
		if t := text(s.num); t != nil {
			out = append(append(append(out, binaryOpen...), t...), binaryClose...)
		} else {
			out = appendBinaryJSON(out, bufs[s.num])
		}
		prev = s.end
	}
	return append(out, data[prev:]...), nil
}

// The JSON stand-in for a binary value is binaryOpen, its base64, then
// binaryClose.
const binaryOpen, binaryClose = `{"_binary":"`, `"}`

// appendBinaryJSON writes the JSON stand-in for a binary value.
func appendBinaryJSON(dst, b []byte) []byte {
	dst = append(dst, binaryOpen...)
	dst = appendBase64(dst, b)
	return append(dst, binaryClose...)
}
