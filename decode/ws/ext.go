package ws

import (
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/decode"
)

// Extensions are the permessage-deflate parameters the server accepted.
// Max window bits are 15 when the server did not name them; the parser keeps
// a full 32 KiB window either way, which covers every size.
type Extensions struct {
	Deflate                                          bool
	ServerNoContextTakeover, ClientNoContextTakeover bool
	ServerMaxWindowBits, ClientMaxWindowBits         int
}

// ParseExtensions reads the Sec-WebSocket-Extensions value of the server's
// 101 (several header lines may be joined with ", "). Unknown extensions are
// ignored. The error names the first syntax problem or invalid
// permessage-deflate parameter and its byte offset in header; the returned
// Extensions hold what was understood up to there.
func ParseExtensions(header string) (Extensions, error) {
	var ext Extensions
	seen := false
	s := extScanner{s: header}
	for {
		s.skipSpace()
		if s.done() {
			return ext, nil
		}
		if s.peek() == ',' { // empty list elements are allowed (RFC 9110 §5.6.1)
			s.i++
			continue
		}
		at := s.i
		name, err := s.token("extension name")
		if err != nil {
			return ext, err
		}
		isDeflate := strings.EqualFold(name, "permessage-deflate")
		if isDeflate {
			if seen {
				return ext, extErr(at, "permessage-deflate accepted twice")
			}
			seen = true
			ext = Extensions{Deflate: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
		}
		var got [4]bool // which deflate parameters appeared, to reject duplicates
		for {
			s.skipSpace()
			if s.done() || s.peek() == ',' {
				break
			}
			if s.peek() != ';' {
				return ext, extErr(s.i, "unexpected %q after %q", s.peek(), name)
			}
			s.i++
			s.skipSpace()
			pat := s.i
			key, err := s.token("parameter name")
			if err != nil {
				return ext, err
			}
			s.skipSpace()
			val, hasVal := "", false
			if !s.done() && s.peek() == '=' {
				s.i++
				s.skipSpace()
				if val, err = s.value(); err != nil {
					return ext, err
				}
				hasVal = true
			}
			if !isDeflate {
				continue
			}
			if err := ext.setParam(strings.ToLower(key), val, hasVal, pat, &got); err != nil {
				return ext, err
			}
		}
	}
}

// setParam applies one permessage-deflate parameter (RFC 7692 §7.1).
func (ext *Extensions) setParam(key, val string, hasVal bool, at int, got *[4]bool) error {
	var i int
	switch key {
	case "server_no_context_takeover":
		i = 0
	case "client_no_context_takeover":
		i = 1
	case "server_max_window_bits":
		i = 2
	case "client_max_window_bits":
		i = 3
	default:
		return extErr(at, "unknown permessage-deflate parameter %q", key)
	}
	if got[i] {
		return extErr(at, "permessage-deflate parameter %q repeated", key)
	}
	got[i] = true
	switch i {
	case 0, 1:
		if hasVal {
			return extErr(at, "permessage-deflate parameter %q takes no value, got %q", key, val)
		}
		if i == 0 {
			ext.ServerNoContextTakeover = true
		} else {
			ext.ClientNoContextTakeover = true
		}
		return nil
	}
	bits := 15
	if hasVal || i == 2 { // client_max_window_bits may come without a value
		n, err := strconv.Atoi(val)
		if err != nil || n < 8 || n > 15 || len(val) > 2 || val[0] == '0' {
			return extErr(at, "permessage-deflate %s=%q is not 8..15", key, val)
		}
		bits = n
	}
	if i == 2 {
		ext.ServerMaxWindowBits = bits
	} else {
		ext.ClientMaxWindowBits = bits
	}
	return nil
}

func extErr(at int, format string, args ...any) *decode.Error {
	return decode.Errorf(layer, at, "Sec-WebSocket-Extensions: "+format, args...)
}

type extScanner struct {
	s string
	i int
}

func (s *extScanner) done() bool { return s.i >= len(s.s) }
func (s *extScanner) peek() byte { return s.s[s.i] }

func (s *extScanner) skipSpace() {
	for s.i < len(s.s) && (s.s[s.i] == ' ' || s.s[s.i] == '\t') {
		s.i++
	}
}

func (s *extScanner) token(what string) (string, error) {
	start := s.i
	for s.i < len(s.s) && isTokenChar(s.s[s.i]) {
		s.i++
	}
	if s.i == start {
		if s.done() {
			return "", extErr(s.i, "missing %s at end", what)
		}
		return "", extErr(s.i, "missing %s before %q", what, s.s[s.i])
	}
	return s.s[start:s.i], nil
}

// value reads a token or a quoted-string (RFC 6455 §9.1 allows both, and the
// quoted form must still hold a token once unquoted).
func (s *extScanner) value() (string, error) {
	if s.done() || s.peek() != '"' {
		return s.token("parameter value")
	}
	start := s.i
	s.i++
	var b strings.Builder
	for s.i < len(s.s) {
		c := s.s[s.i]
		switch {
		case c == '"':
			s.i++
			return b.String(), nil
		case c == '\\' && s.i+1 < len(s.s):
			b.WriteByte(s.s[s.i+1])
			s.i += 2
		default:
			b.WriteByte(c)
			s.i++
		}
	}
	return "", extErr(start, "unterminated quoted string")
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
}
