package session

import (
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
)

// maxInvalidShown caps the bytes of an invalid text frame quoted (in
// base64) in its decode error; the recording keeps them all.
const maxInvalidShown = 1 << 10

// validText returns text as it is when it is UTF-8. Otherwise it reports
// a decode error that quotes the raw bytes in base64, and returns a copy
// with U+FFFD for each bad byte, about as a peer's UTF-8 decoder reads it,
// so that the events and every output line hold valid UTF-8. RFC 6455
// requires text frames to be UTF-8, and Engine.IO reads polling bodies as
// UTF-8 text. The relayed bytes are untouched: this is only what is shown.
func (t *Tracker) validText(s *Session, at time.Time, tr decode.Transport, dir decode.Dir, what string, text []byte, exchange, conn uint64) []byte {
	if utf8.Valid(text) {
		return text
	}
	off := 0
	for off < len(text) {
		r, n := utf8.DecodeRune(text[off:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		off += n
	}
	shown, more := text, ""
	if len(shown) > maxInvalidShown {
		shown, more = shown[:maxInvalidShown], "; first 1 KiB"
	}
	t.markError(s, at, tr, dir, decode.Errorf(tr.String(), off,
		"%s is not valid UTF-8 (byte 0x%02x); shown with U+FFFD in its place; raw bytes (base64%s): %s",
		what, text[off], more, base64.StdEncoding.EncodeToString(shown)), exchange, conn)
	// One U+FFFD per bad byte, as Engine.IO's v3 length prefixes count
	// the characters of the decoded text.
	out := make([]byte, 0, len(text)+16)
	for len(text) > 0 {
		r, n := utf8.DecodeRune(text)
		if r == utf8.RuneError && n == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, text[:n]...)
		}
		text = text[n:]
	}
	return out
}
