package output

import "encoding/binary"

// maxNesting is encoding/json's scanner limit; deeper input is an error
// there, so it makes appendCompact fall back too.
const maxNesting = 10000

// appendCompact appends src without insignificant whitespace, as
// json.Compact does, and reports whether src is one valid JSON value by
// the rules of encoding/json's scanner (strings are copied as is: their
// escapes are checked, their UTF-8 is not). On false, b's contents past
// its original length are unspecified. Args are often long base64
// strings, so the string loop is kept tight.
func appendCompact(b, src []byte) ([]byte, bool) {
	// stack holds '[' or '{' per open container; expectKey is set right
	// after '{' or a ',' inside an object.
	var stackArr [32]byte
	stack := stackArr[:0]
	start := 0 // first byte of src not yet appended
	i := 0
	skip := func() { // drops whitespace at i
		j := i
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if j > i {
			b = append(b, src[start:i]...)
			i, start = j, j
		}
	}
	for {
		// A value.
		skip()
		if i >= len(src) {
			return b, false
		}
		switch c := src[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxNesting {
				return b, false
			}
			stack = append(stack, c)
			i++
			skip()
			close := byte(']')
			if c == '{' {
				close = '}'
			}
			if i < len(src) && src[i] == close {
				i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if !scanKey(src, &i, skip) {
					return b, false
				}
			}
			continue
		case c == '"':
			if !scanString(src, &i) {
				return b, false
			}
		case c == '-' || c >= '0' && c <= '9':
			if !scanNumber(src, &i) {
				return b, false
			}
		case c == 't':
			if !scanLit(src, &i, "true") {
				return b, false
			}
		case c == 'f':
			if !scanLit(src, &i, "false") {
				return b, false
			}
		case c == 'n':
			if !scanLit(src, &i, "null") {
				return b, false
			}
		default:
			return b, false
		}
		// After a value: close containers or move to the next element.
		for {
			skip()
			if len(stack) == 0 {
				if i != len(src) {
					return b, false
				}
				return append(b, src[start:]...), true
			}
			if i >= len(src) {
				return b, false
			}
			top := stack[len(stack)-1]
			c := src[i]
			if c == ',' {
				i++
				if top == '{' {
					skip()
					if !scanKey(src, &i, skip) {
						return b, false
					}
				}
				break
			}
			if top == '[' && c == ']' || top == '{' && c == '}' {
				i++
				stack = stack[:len(stack)-1]
				continue
			}
			return b, false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scanKey scans `"key" :` at *i, leaving *i after the colon.
func scanKey(src []byte, i *int, skip func()) bool {
	if *i >= len(src) || src[*i] != '"' || !scanString(src, i) {
		return false
	}
	skip()
	if *i >= len(src) || src[*i] != ':' {
		return false
	}
	*i++
	return true
}

// Word masks for scanning eight string bytes at a time (the classic
// "has a zero byte" and "has a byte less than n" tricks, both exact).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord reports whether none of the eight bytes of x ends or escapes
// a string or is a control byte.
func plainWord(x uint64) bool {
	quote := x ^ (ones * '"')
	slash := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x|(quote-ones)&^quote|(slash-ones)&^slash)&highs == 0
}

// scanString scans the string starting at the quote at *i.
func scanString(src []byte, i *int) bool {
	j := *i + 1
	for j < len(src) {
		// Long strings (base64 attachments) go by words.
		for j+8 <= len(src) && plainWord(binary.LittleEndian.Uint64(src[j:])) {
			j += 8
		}
		if j >= len(src) {
			break
		}
		c := src[j]
		switch {
		case c == '"':
			*i = j + 1
			return true
		case c == '\\':
			j++
			if j >= len(src) {
				return false
			}
			switch src[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+4 >= len(src) {
					return false
				}
				for _, h := range src[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				j += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			j++
		}
	}
	return false
}

func scanNumber(src []byte, i *int) bool {
	j := *i
	if src[j] == '-' {
		j++
	}
	digits := func() bool {
		k := j
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		return j > k
	}
	switch {
	case j < len(src) && src[j] == '0':
		j++
	case !digits():
		return false
	}
	if j < len(src) && src[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	*i = j
	return true
}

func scanLit(src []byte, i *int, lit string) bool {
	if len(src)-*i < len(lit) || string(src[*i:*i+len(lit)]) != lit {
		return false
	}
	*i += len(lit)
	return true
}
