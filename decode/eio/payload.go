package eio

import (
	"bytes"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
)

// recordSep separates v4 polling records.
const recordSep = 0x1e

// maxPrealloc bounds the packet slice reserved up front from a cheap count
// over the body, so a body of separators cannot reserve memory it will never
// fill; beyond it the slice grows as packets are actually decoded.
const maxPrealloc = 256

// DecodePayload decodes one polling body (already inflated and, for JSONP,
// already unwrapped). On a bad record it returns the packets decoded before it
// together with a *decode.Error whose Index and Offset point at the record.
func DecodePayload(v Version, body []byte, contentType string) ([]Packet, error) {
	return AppendPayload(nil, v, body, contentType)
}

// AppendPayload is DecodePayload appending to dst, so a caller that reuses
// dst[:0] decodes text payloads without allocating.
func AppendPayload(dst []Packet, v Version, body []byte, contentType string) ([]Packet, error) {
	return AppendPayloadWith(dst, v, body, contentType, PayloadOptions{})
}

// PayloadOptions tune payload decoding; the zero value is AppendPayload.
type PayloadOptions struct {
	// KeepBase64 leaves a base64 record ("b…", v3 "b<type>…") whose text
	// is canonical undecoded: the packet holds the text in Base64 (aliasing
	// body) instead of the bytes in Data. It is for a caller that would
	// only encode the bytes as base64 again. Other base64 records, and
	// invalid ones with their errors, decode as without the option.
	KeepBase64 bool
}

// AppendPayloadWith is AppendPayload with options.
func AppendPayloadWith(dst []Packet, v Version, body []byte, contentType string, o PayloadOptions) ([]Packet, error) {
	if v == V3 {
		if isXHR2(body, contentType) {
			return appendPayloadXHR2(dst, body, o.KeepBase64)
		}
		return appendPayloadV3(dst, body, o.KeepBase64)
	}
	return appendPayloadV4(dst, body, o.KeepBase64)
}

// isXHR2 tells the v3 binary payload form from the text one: the server marks
// it application/octet-stream, and a text payload can never start with 0x00
// or 0x01 (it starts with a length digit).
func isXHR2(body []byte, contentType string) bool {
	if len(body) > 0 && (body[0] == 0 || body[0] == 1) {
		return true
	}
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/octet-stream")
}

func appendPayloadV4(dst []Packet, body []byte, keep bool) ([]Packet, error) {
	dst = reserve(dst, bytes.Count(body, []byte{recordSep})+1)
	// An empty body is one empty record, which engine.io-parser rejects.
	off := 0
	for i := 0; ; i++ {
		end := bytes.IndexByte(body[off:], recordSep)
		rec := body[off:]
		if end >= 0 {
			rec = body[off : off+end]
		}
		p, at, msg := decodeText(V4, rec, keep)
		if msg != "" {
			return dst, &decode.Error{Layer: "eio", Offset: off + at, Index: i, Msg: msg}
		}
		dst = append(dst, p)
		if end < 0 {
			return dst, nil
		}
		off += end + 1
	}
}

// reserve makes room for n more packets (at most maxPrealloc) in one
// allocation, so decoding a body costs one slice, not a doubling series.
func reserve(dst []Packet, n int) []Packet {
	n = min(n, maxPrealloc)
	if cap(dst)-len(dst) >= n {
		return dst
	}
	grown := make([]Packet, len(dst), len(dst)+n)
	copy(grown, dst)
	return grown
}

// EncodePayloadV4 joins packets with 0x1E, binary ones as "b<base64>".
func EncodePayloadV4(ps []Packet) []byte {
	n := 0
	for _, p := range ps {
		n += 2 + len(p.Data)
		if p.Binary {
			n += len(p.Data)/3 + 4
		}
	}
	out := make([]byte, 0, n)
	for i, p := range ps {
		if i > 0 {
			out = append(out, recordSep)
		}
		if p.Binary {
			out = appendBase64Record(out, V4, p)
		} else {
			out = appendText(out, p)
		}
	}
	return out
}
