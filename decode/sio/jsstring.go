package sio

import (
	"unicode/utf16"
	"unicode/utf8"
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
		switch body[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+6 > len(body) {
				return string(out)
			}
			r := rune(hex4(body[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
					r2 := rune(hex4(body[i+2 : i+6]))
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, body[i+1])
		}
		i += 2
	}
	return string(out)
}

func hex4(b []byte) int {
	v := 0
	for _, c := range b {
		h := hexVal(c)
		if h < 0 {
			return 0
		}
		v = v<<4 | h
	}
	return v
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
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
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
