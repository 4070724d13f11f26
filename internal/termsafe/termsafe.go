// Package termsafe neutralises text that came from the wire before it
// reaches a terminal. A peer controls namespaces, event names, sids,
// upgrade names, args, headers and paths; written raw, an ESC sequence in
// any of them can set the window title, write the clipboard (OSC 52) or
// clear the screen, and a bidi override can make a line read differently
// from what it holds. Every such rune is shown escaped instead: C0 controls
// and DEL as \xNN (\t, \n, \r as such), C1 controls, bidi controls and the
// line/paragraph separators as \uNNNN, bytes that are not UTF-8 as \xNN.
//
// Escaping is injective for text without backslashes: Unescape gives the
// input back. A backslash itself is left alone, so JSON and quoted strings
// stay readable; a peer can therefore write the text "\x1b", which looks
// like an escaped ESC but is harmless.
package termsafe

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Unsafe reports whether r is escaped: it would be interpreted by a
// terminal (C0, DEL, C1), reorder the text around it (bidi controls), or
// break a line (U+2028, U+2029).
func Unsafe(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r < 0xa0:
		return true
	case r < 0x061c:
		return false
	}
	switch r {
	case 0x061c, // arabic letter mark
		0x200e, 0x200f, // LRM, RLM
		0x2028, 0x2029, // line and paragraph separators
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e, // LRE RLE PDF LRO RLO
		0x2066, 0x2067, 0x2068, 0x2069: // LRI RLI FSI PDI
		return true
	}
	return false
}

// firstUnsafe returns the index of the first byte that needs escaping, or
// len(s). keepNL leaves '\n' alone. The ASCII loop is the hot path: most
// wire text has no byte at or above 0x80.
func firstUnsafe(s string, keepNL bool) int {
	for i := 0; i < len(s); {
		if i += asciiPrefix(s[i:]); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(keepNL && c == '\n') {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Unsafe(r) {
			return i
		}
		i += n
	}
	return len(s)
}

// SWAR constants: a byte lane each.
const (
	lanes01 = 0x0101010101010101
	lanes20 = 0x2020202020202020
	lanes7f = 0x7f7f7f7f7f7f7f7f
	lanes80 = 0x8080808080808080
)

// asciiPrefix returns how many leading bytes of s, in whole words of 8,
// are printable ASCII (0x20-0x7e), eight bytes per step.
func asciiPrefix(s string) int {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		del := x ^ lanes7f
		if (x|(x-lanes20)|(del-lanes01)&^del)&lanes80 != 0 {
			break // a byte >= 0x80, < 0x20 or 0x7f in this word
		}
	}
	return i
}

// IsSafe reports whether s would be shown as it is, on one line.
func IsSafe(s string) bool { return firstUnsafe(s, false) == len(s) }

// String returns s for a single-line cell: every unsafe rune, tab and
// newline included, escaped. A safe s is returned as it is, without
// allocating.
func String(s string) string {
	i := firstUnsafe(s, false)
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	return string(appendFrom(b, s[i:], false))
}

// Text is String for multi-line text: newlines are kept, everything else
// unsafe is escaped.
func Text(s string) string {
	i := firstUnsafe(s, true)
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	return string(appendFrom(b, s[i:], true))
}

// AppendString appends s to dst as String would return it.
func AppendString(dst []byte, s string) []byte {
	i := firstUnsafe(s, false)
	dst = append(dst, s[:i]...)
	if i == len(s) {
		return dst
	}
	return appendFrom(dst, s[i:], false)
}

// AppendBytes is AppendString for bytes, without copying them to a string.
func AppendBytes(dst []byte, b []byte) []byte {
	return AppendString(dst, unsafe.String(unsafe.SliceData(b), len(b)))
}

// Bytes is String for bytes.
func Bytes(b []byte) string {
	return String(unsafe.String(unsafe.SliceData(b), len(b)))
}

// AppendQuoted appends s as a Go-quoted string. strconv's quoting escapes
// every rune that is not printable, which covers every rune Unsafe
// reports (bidi controls are format characters, not printable).
func AppendQuoted(dst []byte, s string) []byte { return strconv.AppendQuote(dst, s) }

// Quoted is AppendQuoted as a string.
func Quoted(s string) string { return strconv.Quote(s) }

const hexDigits = "0123456789abcdef"

func appendFrom(b []byte, s string, keepNL bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\n' && keepNL:
				b = append(b, c)
			case c == '\t':
				b = append(b, `\t`...)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case Unsafe(r):
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// JSON neutralises JSON text (args) and keeps it JSON: unsafe runes become
// \uNNNN escapes, which mean the same inside a JSON string, a byte that is
// not UTF-8 becomes \ufffd (what a JSON parser reads it as), and tab, CR
// and LF, which valid JSON has only between tokens, become spaces. Clean
// input is returned as it is.
func JSON(raw []byte) []byte {
	s := unsafe.String(unsafe.SliceData(raw), len(raw))
	i := firstUnsafe(s, false)
	if i == len(s) {
		return raw
	}
	b := make([]byte, 0, len(raw)+16)
	b = append(b, raw[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\t' || c == '\n' || c == '\r':
				b = append(b, ' ')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case Unsafe(r):
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}
