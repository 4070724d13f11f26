package eio

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
)

// DefaultMaxInflated caps Inflate when the caller passes max <= 0.
const DefaultMaxInflated = 16 << 20

// Inflate undoes a polling body's Content-Encoding. deflate accepts both
// zlib-wrapped and raw streams because browsers accept both and some servers
// send raw. The output never exceeds max bytes (an error instead), so a
// compression bomb cannot exhaust memory. identity (or no header) returns
// body itself.
func Inflate(body []byte, contentEncoding string, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxInflated
	}
	enc := strings.ToLower(strings.TrimSpace(contentEncoding))
	switch enc {
	case "", "identity":
		if len(body) > max {
			return nil, decode.Errorf("http", max, "body of %d bytes exceeds the %d-byte cap", len(body), max)
		}
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, &decode.Error{Layer: "http", Offset: 0, Index: -1, Msg: "bad gzip header", Err: err}
		}
		return readCapped(zr, enc, max)
	case "deflate":
		if isZlibHeader(body) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err == nil {
				out, err := readCapped(zr, enc, max)
				if err == nil || isCapError(err) {
					return out, err
				}
			}
			// A raw stream can begin with bytes that pass the zlib header
			// check; fall through and read it raw.
		}
		return readCapped(flate.NewReader(bytes.NewReader(body)), enc, max)
	default:
		return nil, decode.Errorf("http", -1, "unsupported Content-Encoding %q", contentEncoding)
	}
}

const capMsg = " body inflates beyond the "

func isCapError(err error) bool {
	de, ok := err.(*decode.Error)
	return ok && strings.Contains(de.Msg, capMsg)
}

// readCapped grows with the data rather than trusting any size hint, and
// reads one byte past max to tell "exactly max" from "more".
func readCapped(r io.Reader, enc string, max int) ([]byte, error) {
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, &decode.Error{Layer: "http", Offset: -1, Index: -1, Msg: "corrupt " + enc + " body after " + itoa(n) + " inflated bytes", Err: err}
	}
	if n > int64(max) {
		return nil, decode.Errorf("http", -1, "%s%s%d-byte cap", enc, capMsg, max)
	}
	return out.Bytes(), nil
}

// isZlibHeader checks RFC 1950's CMF/FLG pair: method 8, window ≤ 32 KiB and
// a header that is a multiple of 31.
func isZlibHeader(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}
