// Package jsstr holds the JSON string escapes that the Engine.IO JSONP
// transport and the Socket.IO JSON decoder both need, so that the two
// layers read \u escapes and surrogate pairs, and write control bytes,
// exactly alike.
package jsstr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// HexVal returns the value of the hex digit c, or -1.
func HexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Hex4 decodes the four hex digits at b[off:off+4]; ok is false when they
// are cut short or not all hex.
func Hex4(b []byte, off int) (r rune, ok bool) {
	if off < 0 || off+4 > len(b) {
		return 0, false
	}
	for _, c := range b[off : off+4] {
		h := HexVal(c)
		if h < 0 {
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	return r, true
}

// AppendEscape decodes the escape sequence at b[i] (a backslash) onto dst
// and returns dst and the index just past the sequence. ok is false, with
// dst and i unchanged, when the sequence is cut short, b[i+1] is no JSON
// escape, or a \u lacks four hex digits.
//
// A surrogate takes the \u escape right after it as its pair; a lone half
// becomes U+FFFD, as TextEncoder makes it when a client sends the text on,
// and because Go text cannot hold it.
func AppendEscape(dst, b []byte, i int) (out []byte, next int, ok bool) {
	if i+1 >= len(b) || b[i] != '\\' {
		return dst, i, false
	}
	switch e := b[i+1]; e {
	case '"', '\\', '/':
		return append(dst, e), i + 2, true
	case 'b':
		return append(dst, '\b'), i + 2, true
	case 'f':
		return append(dst, '\f'), i + 2, true
	case 'n':
		return append(dst, '\n'), i + 2, true
	case 'r':
		return append(dst, '\r'), i + 2, true
	case 't':
		return append(dst, '\t'), i + 2, true
	case 'u':
	default:
		return dst, i, false
	}
	r, ok := Hex4(b, i+2)
	if !ok {
		return dst, i, false
	}
	next = i + 6
	if utf16.IsSurrogate(r) {
		if r2, ok := Hex4(b, next+2); ok && b[next] == '\\' && b[next+1] == 'u' {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return utf8.AppendRune(dst, d), next + 6, true
			}
		}
		r = utf8.RuneError
	}
	return utf8.AppendRune(dst, r), next, true
}

// NeedsEscape reports whether JSON.stringify escapes the ASCII byte c.
func NeedsEscape(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }

// AppendEscaped appends c, a byte NeedsEscape accepts, as JSON.stringify
// writes it: the short form where JavaScript has one, else lowercase \u00xx.
func AppendEscaped(dst []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
}
