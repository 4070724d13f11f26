package sio

// A small JSON lexer. Socket.IO keeps its arguments as raw JSON so that a
// caller parses only what it shows; the proxy still has to validate them the
// way JSON.parse does, find the first event argument, and find placeholders,
// all without building a tree. The lexer checks the grammar as it goes and
// never allocates while the nesting depth stays within its inline stack.

import "github.com/sioproxy/sioproxy/decode/internal/jsstr"

type tokKind uint8

const (
	tkError tokKind = iota
	tkEOF
	tkBeginObj
	tkEndObj
	tkBeginArr
	tkEndArr
	tkString
	tkNumber
	tkTrue
	tkFalse
	tkNull
)

type token struct {
	kind       tokKind
	start, end int  // byte span in the input; strings include their quotes
	key        bool // a string that is an object key (its ':' is consumed)
}

// lexer states: what the grammar allows next.
const (
	stValue      = iota // a value (top level, after ':' or after ',' in an array)
	stValueOrEnd        // just after '['
	stKeyOrEnd          // just after '{'
	stKey               // after ',' in an object
	stAfterValue        // ',' or the container's end, or the end of input at the top
)

// bitStack records, per open container, whether it is an object. The inline
// part covers 256 levels; deeper input spills to the heap, bounded by the
// input length since every level costs an input byte.
type bitStack struct {
	inline [4]uint64
	more   []bool
	n      int
	max    int // the deepest n reached
}

func (b *bitStack) push(obj bool) {
	if b.n < 256 {
		w, bit := b.n/64, uint(b.n%64)
		if obj {
			b.inline[w] |= 1 << bit
		} else {
			b.inline[w] &^= 1 << bit
		}
	} else {
		b.more = append(b.more[:b.n-256], obj)
	}
	b.n++
	b.max = max(b.max, b.n)
}

func (b *bitStack) top() bool {
	i := b.n - 1
	if i < 256 {
		return b.inline[i/64]&(1<<uint(i%64)) != 0
	}
	return b.more[i-256]
}

func (b *bitStack) pop() { b.n-- }

type lexer struct {
	s      []byte
	pos    int
	state  int
	stack  bitStack
	errMsg string
	errPos int
	// spaced records whitespace outside strings: without any, the input
	// is already compact and writers may copy it as it is.
	spaced bool
}

func newLexer(s []byte) lexer { return lexer{s: s, state: stValue} }

func (l *lexer) depth() int { return l.stack.n }

// maxCompactDepth is encoding/json's nesting limit. JSON.parse takes deeper
// input, but a Go writer copying it verbatim would emit what encoding/json
// itself refuses, so such input is never reported compact.
const maxCompactDepth = 10000

// compact reports, once the input has been lexed to tkEOF, whether it was
// free of whitespace outside strings and nested within maxCompactDepth.
func (l *lexer) compact() bool { return !l.spaced && l.stack.max <= maxCompactDepth }

func (l *lexer) fail(pos int, msg string) token {
	l.errMsg, l.errPos = msg, pos
	return token{kind: tkError, start: pos, end: pos}
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.s) {
		switch l.s[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
			l.spaced = true
		default:
			return
		}
	}
}

// next returns the next token. After tkError, errMsg and errPos say why.
func (l *lexer) next() token {
	if l.errMsg != "" {
		return token{kind: tkError, start: l.errPos, end: l.errPos}
	}
	l.skipSpace()
	if l.pos >= len(l.s) {
		if l.state == stAfterValue && l.stack.n == 0 {
			return token{kind: tkEOF, start: l.pos, end: l.pos}
		}
		return l.fail(l.pos, "unexpected end of JSON input")
	}
	c := l.s[l.pos]
	switch l.state {
	case stAfterValue:
		if l.stack.n == 0 {
			return l.fail(l.pos, "unexpected "+quoteByte(c)+" after the JSON value")
		}
		obj := l.stack.top()
		switch {
		case c == ',':
			l.pos++
			if obj {
				l.state = stKey
			} else {
				l.state = stValue
			}
			return l.next()
		case c == '}' && obj, c == ']' && !obj:
			return l.closeContainer(obj)
		}
		return l.fail(l.pos, "unexpected "+quoteByte(c)+" after a value")
	case stKeyOrEnd, stKey:
		if c == '}' && l.state == stKeyOrEnd {
			return l.closeContainer(true)
		}
		if c != '"' {
			return l.fail(l.pos, "expected a string key, got "+quoteByte(c))
		}
		t := l.str()
		if t.kind == tkError {
			return t
		}
		l.skipSpace()
		if l.pos >= len(l.s) || l.s[l.pos] != ':' {
			return l.fail(l.pos, "expected ':' after an object key")
		}
		l.pos++
		t.key = true
		l.state = stValue
		return t
	case stValueOrEnd:
		if c == ']' {
			return l.closeContainer(false)
		}
	}
	return l.value(c)
}

func (l *lexer) closeContainer(obj bool) token {
	l.stack.pop()
	l.pos++
	l.state = stAfterValue
	if obj {
		return token{kind: tkEndObj, start: l.pos - 1, end: l.pos}
	}
	return token{kind: tkEndArr, start: l.pos - 1, end: l.pos}
}

func (l *lexer) value(c byte) token {
	start := l.pos
	switch {
	case c == '{':
		l.pos++
		l.stack.push(true)
		l.state = stKeyOrEnd
		return token{kind: tkBeginObj, start: start, end: l.pos}
	case c == '[':
		l.pos++
		l.stack.push(false)
		l.state = stValueOrEnd
		return token{kind: tkBeginArr, start: start, end: l.pos}
	case c == '"':
		t := l.str()
		if t.kind != tkError {
			l.state = stAfterValue
		}
		return t
	case c == '-' || (c >= '0' && c <= '9'):
		return l.number()
	case c == 't':
		return l.literal("true", tkTrue)
	case c == 'f':
		return l.literal("false", tkFalse)
	case c == 'n':
		return l.literal("null", tkNull)
	}
	return l.fail(l.pos, "unexpected "+quoteByte(c)+" where a value was expected")
}

func (l *lexer) literal(word string, k tokKind) token {
	start := l.pos
	if len(l.s)-l.pos < len(word) || string(l.s[l.pos:l.pos+len(word)]) != word {
		return l.fail(l.pos, "invalid literal, expected "+word)
	}
	l.pos += len(word)
	l.state = stAfterValue
	return token{kind: k, start: start, end: l.pos}
}

func (l *lexer) digits() int {
	n := 0
	for l.pos < len(l.s) && l.s[l.pos] >= '0' && l.s[l.pos] <= '9' {
		l.pos++
		n++
	}
	return n
}

func (l *lexer) number() token {
	start := l.pos
	if l.s[l.pos] == '-' {
		l.pos++
	}
	if l.pos < len(l.s) && l.s[l.pos] == '0' {
		l.pos++
	} else if l.digits() == 0 {
		return l.fail(l.pos, "invalid number: no digits")
	}
	if l.pos < len(l.s) && l.s[l.pos] == '.' {
		l.pos++
		if l.digits() == 0 {
			return l.fail(l.pos, "invalid number: no digits after '.'")
		}
	}
	if l.pos < len(l.s) && (l.s[l.pos] == 'e' || l.s[l.pos] == 'E') {
		l.pos++
		if l.pos < len(l.s) && (l.s[l.pos] == '+' || l.s[l.pos] == '-') {
			l.pos++
		}
		if l.digits() == 0 {
			return l.fail(l.pos, "invalid number: no digits in the exponent")
		}
	}
	l.state = stAfterValue
	return token{kind: tkNumber, start: start, end: l.pos}
}

// str scans a string at l.pos (which holds '"'). Bytes >= 0x80 pass as they
// are: JavaScript sees the text after a lossy UTF-8 decode and accepts it.
func (l *lexer) str() token {
	start := l.pos
	i := l.pos + 1
	for i < len(l.s) {
		c := l.s[i]
		switch {
		case c == '"':
			l.pos = i + 1
			return token{kind: tkString, start: start, end: l.pos}
		case c == '\\':
			if i+1 >= len(l.s) {
				return l.fail(i, "unterminated string")
			}
			switch l.s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := jsstr.Hex4(l.s, i+2); !ok {
					return l.fail(i, "invalid \\u escape")
				}
				i += 6
			default:
				return l.fail(i, "invalid escape \\"+string(rune(l.s[i+1])))
			}
		case c < 0x20:
			return l.fail(i, "control character "+quoteByte(c)+" in a string")
		default:
			i++
		}
	}
	return l.fail(len(l.s), "unterminated string")
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}

// skipValue consumes the rest of a value whose first token is t.
func (l *lexer) skipValue(t token) token {
	if t.kind != tkBeginObj && t.kind != tkBeginArr {
		return t
	}
	d := l.depth() - 1
	for {
		t = l.next()
		if t.kind == tkError || t.kind == tkEOF {
			return t
		}
		if (t.kind == tkEndObj || t.kind == tkEndArr) && l.depth() == d {
			return t
		}
	}
}
