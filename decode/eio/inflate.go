package eio

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"sync"

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
		zr, _ := gzipPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(bytes.NewReader(body))
		} else {
			err = zr.Reset(bytes.NewReader(body))
		}
		if err != nil {
			return nil, &decode.Error{Layer: "http", Offset: 0, Index: -1, Msg: "bad gzip header", Err: err}
		}
		defer gzipPool.Put(zr)
		if gzipClaim(body) > int64(max) {
			// The trailer says the cap will be hit: find out without
			// allocating the cap (a bomb cost max bytes of garbage each).
			over, err := inflatesOver(zr, max)
			if err != nil {
				return nil, &decode.Error{Layer: "http", Offset: -1, Index: -1, Msg: "corrupt " + enc + " body", Err: err}
			}
			if over {
				return nil, decode.Errorf("http", -1, "%s%s%d-byte cap", enc, capMsg, max)
			}
			// The trailer lied (or the stream has several members): read
			// it again, for real.
			if err := zr.Reset(bytes.NewReader(body)); err != nil {
				return nil, &decode.Error{Layer: "http", Offset: 0, Index: -1, Msg: "bad gzip header", Err: err}
			}
			return readCapped(zr, enc, max, 0)
		}
		return readCapped(zr, enc, max, gzipSizeHint(body, max))
	case "deflate":
		if isZlibHeader(body) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err == nil {
				out, err := readCapped(zr, enc, max, 0)
				if err == nil || isCapError(err) {
					return out, err
				}
			}
			// A raw stream can begin with bytes that pass the zlib header
			// check; fall through and read it raw.
		}
		return readCapped(flate.NewReader(bytes.NewReader(body)), enc, max, 0)
	default:
		return nil, decode.Errorf("http", -1, "unsupported Content-Encoding %q", contentEncoding)
	}
}

const capMsg = " body inflates beyond the "

func isCapError(err error) bool {
	de, ok := err.(*decode.Error)
	return ok && strings.Contains(de.Msg, capMsg)
}

// gzipPool keeps gzip readers (and the inflate state inside, tens of
// kilobytes) across polls: a busy polling session inflates every answer
// above the server's compression threshold.
var gzipPool sync.Pool

// maxDeflateRatio bounds how far deflate can expand its input (RFC 1951
// codes at most 258 bytes in about two bits), so a forged size trailer
// cannot make the hint larger than the stream could produce.
const maxDeflateRatio = 1032

// gzipClaim is the uncompressed size the gzip trailer (ISIZE) states, or
// -1 for a body too short to have one.
func gzipClaim(body []byte) int64 {
	if len(body) < 18 {
		return -1
	}
	t := body[len(body)-4:]
	return int64(uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24)
}

// scratchPool holds the buffers inflatesOver reads into and throws away.
var scratchPool = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// inflatesOver reads r to its end or past max bytes, keeping none of it.
func inflatesOver(r io.Reader, max int) (bool, error) {
	buf := scratchPool.Get().(*[32 << 10]byte)
	defer scratchPool.Put(buf)
	n := 0
	for n <= max {
		k, err := r.Read(buf[:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
	}
	return n > max, nil
}

// gzipSizeHint reads the uncompressed size from the gzip trailer (ISIZE,
// RFC 1952 §2.3.1), bounded by max and by what the compressed size can
// expand to. It is only a hint: a multi-member or lying stream just makes
// readCapped grow or leave capacity unused.
func gzipSizeHint(body []byte, max int) int {
	if len(body) < 18 {
		return 0
	}
	t := body[len(body)-4:]
	n := int(uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24)
	if lim := len(body) * maxDeflateRatio; n > lim {
		n = lim
	}
	if n > max {
		n = max
	}
	return n
}

// readCapped reads at most max bytes and one more, to tell "exactly max"
// from "more". hint (at most max) sizes the first buffer, so a stream of
// known size is read without regrowing; without one it grows with the
// data.
func readCapped(r io.Reader, enc string, max, hint int) ([]byte, error) {
	const minRead = 512
	limit := max + 1
	size := hint + 1 // the extra byte lets the read past max see EOF without growing
	if size < minRead {
		size = minRead
	}
	if size > limit {
		size = limit
	}
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			if len(out) >= limit {
				break
			}
			out = append(out, 0)[:len(out)]
		}
		room := out[len(out):cap(out)]
		if rest := limit - len(out); len(room) > rest {
			room = room[:rest]
		}
		n, err := r.Read(room)
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &decode.Error{Layer: "http", Offset: -1, Index: -1, Msg: "corrupt " + enc + " body after " + itoa(int64(len(out))) + " inflated bytes", Err: err}
		}
	}
	if len(out) > max {
		return nil, decode.Errorf("http", -1, "%s%s%d-byte cap", enc, capMsg, max)
	}
	return out, nil
}

// isZlibHeader checks RFC 1950's CMF/FLG pair: method 8, window ≤ 32 KiB and
// a header that is a multiple of 31.
func isZlibHeader(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}
