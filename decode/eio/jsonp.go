package eio

import (
	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/internal/jsstr"
)

// JSONP polling (engine.io transports/polling-jsonp.ts) wraps a GET answer as
// ___eio[<j>]("<payload as a JSON string>"); and receives POSTs as a form
// body d=<payload>.

const jsonpHead = "___eio["

func errJSONP(off int, format string, args ...any) *decode.Error {
	return decode.Errorf("eio", off, format, args...)
}

// UnwrapJSONP extracts the payload and the callback index from a JSONP GET
// answer. The payload is freshly allocated (the JSON string is unescaped).
func UnwrapJSONP(body []byte) (payload []byte, index string, err error) {
	if len(body) < len(jsonpHead) || string(body[:len(jsonpHead)]) != jsonpHead {
		return nil, "", errJSONP(0, "JSONP body does not start with %q", jsonpHead)
	}
	off := len(jsonpHead)
	i := off
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
	}
	index = string(body[off:i])
	if i+2 > len(body) || body[i] != ']' || body[i+1] != '(' {
		return nil, "", errJSONP(i, "JSONP callback index not closed by \"](\"")
	}
	payload, end, err := unquoteJSON(body, i+2)
	if err != nil {
		return nil, "", err
	}
	rest := trimSpace(body[end:])
	if string(rest) != ");" && string(rest) != ")" {
		return nil, "", errJSONP(end, "JSONP body has %q after the string, want \");\"", clip(rest))
	}
	return payload, index, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func clip(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// unquoteJSON decodes the JSON string literal starting at b[off] and returns
// it with the offset just past the closing quote.
func unquoteJSON(b []byte, off int) ([]byte, int, error) {
	if off >= len(b) || b[off] != '"' {
		return nil, 0, errJSONP(off, "JSONP argument is not a JSON string")
	}
	out := make([]byte, 0, len(b)-off)
	i := off + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return out, i + 1, nil
		case c < 0x20:
			return nil, 0, errJSONP(i, "control byte %s inside JSON string", quoteByte(c))
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		o, next, ok := jsstr.AppendEscape(out, b, i)
		if !ok {
			if b[i+1] == 'u' {
				return nil, 0, errJSONP(i, "bad \\u escape")
			}
			return nil, 0, errJSONP(i, "invalid escape \\%s", quoteByte(b[i+1]))
		}
		out, i = o, next
	}
	return nil, 0, errJSONP(len(b), "unterminated JSON string")
}

// EncodeJSONP wraps payload the way engine.io answers a JSONP GET:
// JSON.stringify, then U+2028/U+2029 escaped because they end a JavaScript
// string literal although JSON allows them. index keeps digits only, as the
// server strips everything else from j.
func EncodeJSONP(index string, payload []byte) []byte {
	out := make([]byte, 0, len(jsonpHead)+len(index)+len(payload)+16)
	out = append(out, jsonpHead...)
	for i := 0; i < len(index); i++ {
		if c := index[i]; c >= '0' && c <= '9' {
			out = append(out, c)
		}
	}
	out = append(out, "](\""...)
	for i := 0; i < len(payload); {
		c := payload[i]
		switch {
		case jsstr.NeedsEscape(c):
			out = jsstr.AppendEscaped(out, c)
		case c == 0xe2 && i+2 < len(payload) && payload[i+1] == 0x80 && (payload[i+2] == 0xa8 || payload[i+2] == 0xa9):
			out = append(out, `\u202`...)
			out = append(out, '8'+payload[i+2]-0xa8)
			i += 3
			continue
		default:
			out = append(out, c)
		}
		i++
	}
	return append(out, "\");"...)
}

// UnwrapForm decodes a JSONP POST body "d=<urlencoded payload>". The client
// escapes newlines so browsers cannot turn them into CRLF: a real newline is
// sent as `\n` and an escaped `\n` as `\\n`; this undoes both in the
// server's order.
func UnwrapForm(body []byte) ([]byte, error) {
	var raw []byte
	found := false
	for off := 0; off <= len(body); {
		end := off
		for end < len(body) && body[end] != '&' {
			end++
		}
		field := body[off:end]
		if len(field) >= 2 && field[0] == 'd' && field[1] == '=' {
			if found {
				// qs turns a repeated key into an array, which the server ignores.
				return nil, errJSONP(off, "form body repeats the d field")
			}
			found = true
			v, err := formUnescape(field[2:], off+2)
			if err != nil {
				return nil, err
			}
			raw = v
		}
		off = end + 1
	}
	if !found {
		return nil, errJSONP(0, "form body has no d field")
	}
	return unescapeNewlines(raw), nil
}

func formUnescape(b []byte, base int) ([]byte, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(b) {
				return nil, errJSONP(base+i, "truncated %%-escape")
			}
			h, l := jsstr.HexVal(b[i+1]), jsstr.HexVal(b[i+2])
			if h < 0 || l < 0 {
				return nil, errJSONP(base+i, "bad %%-escape %q", b[i:i+3])
			}
			out = append(out, byte(h<<4|l))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// unescapeNewlines mirrors polling-jsonp.ts: first /(\\)?\\n/g turns `\n`
// into a newline while keeping `\\n`, then /\\\\n/g turns `\\n` into `\n`.
func unescapeNewlines(b []byte) []byte {
	tmp := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] == '\\' && i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'n' {
			tmp = append(tmp, b[i:i+3]...)
			i += 3
			continue
		}
		if b[i] == '\\' && i+1 < len(b) && b[i+1] == 'n' {
			tmp = append(tmp, '\n')
			i += 2
			continue
		}
		tmp = append(tmp, b[i])
		i++
	}
	out := tmp[:0]
	for i := 0; i < len(tmp); {
		if tmp[i] == '\\' && i+2 < len(tmp) && tmp[i+1] == '\\' && tmp[i+2] == 'n' {
			out = append(out, '\\', 'n')
			i += 3
			continue
		}
		out = append(out, tmp[i])
		i++
	}
	return out
}

// EncodeForm builds the JSONP POST body a client sends for payload.
func EncodeForm(payload []byte) []byte {
	esc := make([]byte, 0, len(payload)+8)
	for i := 0; i < len(payload); i++ {
		switch {
		case payload[i] == '\\' && i+1 < len(payload) && payload[i+1] == 'n':
			esc = append(esc, '\\', '\\', 'n')
			i++
		case payload[i] == '\n':
			esc = append(esc, '\\', 'n')
		default:
			esc = append(esc, payload[i])
		}
	}
	const hexdig = "0123456789ABCDEF"
	out := make([]byte, 0, 2+len(esc)*3/2)
	out = append(out, 'd', '=')
	for _, c := range esc {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			out = append(out, c)
		} else {
			out = append(out, '%', hexdig[c>>4], hexdig[c&15])
		}
	}
	return out
}
