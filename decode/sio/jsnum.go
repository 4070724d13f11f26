package sio

import (
	"math"
	"strconv"

	"github.com/sioproxy/sioproxy/decode/internal/jsstr"
)

// jsNumber mirrors JavaScript's Number(string), which socket.io-parser uses
// on the attachment count and the ack id: surrounding spaces are trimmed,
// the empty string is 0, and 0x/0o/0b prefixes, exponents and "Infinity"
// are accepted. ok is false where JavaScript gives NaN.
func jsNumber(b []byte) (v float64, ok bool) {
	b = trimJSSpace(b)
	if len(b) == 0 {
		return 0, true
	}
	if len(b) <= 15 && allDigits(b) {
		n := 0
		for _, c := range b {
			n = n*10 + int(c-'0')
		}
		return float64(n), true
	}
	if len(b) > 2 && b[0] == '0' {
		base := 0
		switch b[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			v := 0.0
			for _, c := range b[2:] {
				h := jsstr.HexVal(c)
				if h < 0 || h >= base {
					return 0, false
				}
				v = v*float64(base) + float64(h)
			}
			return v, true
		}
	}
	s := b
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if string(s) == "Infinity" {
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if !decimalLiteral(s) {
		return 0, false
	}
	// The literal is valid, so the only possible error is ErrRange, whose
	// result (±Inf or 0) is what JavaScript gives too.
	f, _ := strconv.ParseFloat(string(b), 64)
	return f, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// decimalLiteral checks StrUnsignedDecimalLiteral: digits with an optional
// fraction (either side of '.' may be empty, not both) and exponent.
func decimalLiteral(s []byte) bool {
	i, n := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		n++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			e++
		}
		if e == 0 {
			return false
		}
	}
	return i == len(s)
}
