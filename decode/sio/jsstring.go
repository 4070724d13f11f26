package sio

import (
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode/internal/jsstr"
)

// unquote decodes a JSON string token (quotes included). Lone surrogates
// become U+FFFD: Go strings cannot hold them.
func unquote(raw []byte) string {
	if len(raw) < 2 {
		return ""
	}
	body := raw[1 : len(raw)-1]
	if !hasByte(body, '\\') {
		return string(body)
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			out = append(out, c)
			i++
			continue
		}
		// The lexer has checked every escape, so a failure cannot happen.
		o, next, ok := jsstr.AppendEscape(out, body, i)
		if !ok {
			break
		}
		out, i = o, next
	}
	return string(out)
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// strIs reports whether the JSON string token raw decodes to lit, without
// allocating when it holds no escape.
func strIs(raw []byte, lit string) bool {
	if len(raw) < 2 {
		return false
	}
	body := raw[1 : len(raw)-1]
	if !hasByte(body, '\\') {
		return string(body) == lit
	}
	return unquote(raw) == lit
}

// appendQuote writes s as JSON.stringify does: only '"', '\\' and control
// characters are escaped (short forms where JavaScript has them, else
// lowercase \u00xx); invalid UTF-8 becomes U+FFFD.
func appendQuote(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsstr.NeedsEscape(c) {
				dst = jsstr.AppendEscaped(dst, c)
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// jsSpace reports whether r is JavaScript WhiteSpace or LineTerminator,
// which Number() trims.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// spaceAt returns the byte width of a JavaScript space at s[i], or 0.
func spaceAt(s []byte, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if jsSpace(rune(c)) {
			return 1
		}
		return 0
	}
	r, size := utf8.DecodeRune(s[i:])
	if r != utf8.RuneError && jsSpace(r) {
		return size
	}
	return 0
}

// trimJSSpace trims what Number() trims.
func trimJSSpace(b []byte) []byte {
	for len(b) > 0 {
		if w := spaceAt(b, 0); w > 0 {
			b = b[w:]
			continue
		}
		break
	}
	for len(b) > 0 {
		// Multi-byte spaces end in a continuation byte; find the rune start.
		j := len(b) - 1
		for j > 0 && len(b)-j < utf8.UTFMax && !utf8.RuneStart(b[j]) {
			j--
		}
		if w := spaceAt(b, j); w > 0 && j+w == len(b) {
			b = b[:j]
			continue
		}
		break
	}
	return b
}
