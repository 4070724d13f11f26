package recordings

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Redacted replaces every masked value.
const Redacted = "[redacted]"

var secretHeaders = []string{"Cookie", "Set-Cookie", "Authorization", "Proxy-Authorization"}

// Redact returns o with secrets masked, for recordings attached to bug
// reports: the values of Cookie, Set-Cookie, Authorization and
// Proxy-Authorization headers, and the auth payload of Socket.IO CONNECT
// packets sent by the client (its keys stay, its values become
// "[redacted]"), in polling request bodies and WebSocket messages alike.
// o itself is not modified: other consumers share its slices and maps.
//
// The scanner here is deliberately small and self-contained: it must never
// let a secret through because a full decoder rejected the packet for an
// unrelated reason.
//
// Query parameters that carry secrets (DefaultRedactParams) are masked in
// URLs too; a Redactor adds more names.
func Redact(o obs.Obs) obs.Obs { return defaultRedactor.Redact(o) }

// redactObs is Redact without the URLs.
func redactObs(o obs.Obs) obs.Obs {
	switch {
	case o.HTTP != nil:
		h := *o.HTTP
		h.ReqHeader = redactHeader(h.ReqHeader)
		h.RespHeader = redactHeader(h.RespHeader)
		if h.ReqBody != nil {
			if b, ok := redactPollingBody(h.ReqBody, eioVersion(h.URL)); ok {
				h.ReqBody = b
			}
		}
		o.HTTP = &h
	case o.WSOpen != nil:
		w := *o.WSOpen
		w.ReqHeader = redactHeader(w.ReqHeader)
		w.RespHeader = redactHeader(w.RespHeader)
		o.WSOpen = &w
	case o.WSMsg != nil:
		if o.WSMsg.Dir == decode.C2S && o.WSMsg.Opcode == 1 {
			if p, ok := redactPacket(string(o.WSMsg.Data)); ok {
				m := *o.WSMsg
				m.Data = []byte(p)
				o.WSMsg = &m
			}
		}
	}
	return o
}

func isSecretHeader(name string) bool {
	for _, s := range secretHeaders {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

func redactHeader(h http.Header) http.Header {
	found := false
	for k := range h {
		if isSecretHeader(k) {
			found = true
			break
		}
	}
	if !found {
		return h
	}
	c := make(http.Header, len(h))
	for k, v := range h {
		if isSecretHeader(k) {
			masked := make([]string, len(v))
			for i := range masked {
				masked[i] = Redacted
			}
			v = masked
		}
		c[k] = v
	}
	return c
}

// eioVersion reads EIO from the request URI: 4, 3, or 0 when absent.
func eioVersion(uri string) int {
	_, q, ok := strings.Cut(uri, "?")
	if !ok {
		return 0
	}
	v, err := url.ParseQuery(q)
	if err != nil && v == nil {
		return 0
	}
	switch v.Get("EIO") {
	case "4":
		return 4
	case "3":
		return 3
	}
	return 0
}

// redactPollingBody masks CONNECT packets in an Engine.IO polling payload
// of either version. It reports false if nothing changed (or the payload
// cannot be parsed, in which case the body is kept as it is).
func redactPollingBody(body []byte, eio int) ([]byte, bool) {
	if len(body) > 0 && (body[0] == 0 || body[0] == 1) {
		return redactV3Binary(body)
	}
	s := string(body)
	if eio == 3 || (eio == 0 && looksV3(s)) {
		out, ok := redactV3Text(s)
		if !ok {
			return body, false
		}
		return []byte(out), true
	}
	changed := false
	parts := strings.Split(s, "\x1e")
	for i, p := range parts {
		if r, ok := redactPacket(p); ok {
			parts[i], changed = r, true
		}
	}
	if !changed {
		return body, false
	}
	return []byte(strings.Join(parts, "\x1e")), true
}

// looksV3 tells a v3 "<len>:<packet>" payload from a v4 one, whose first
// packet starts with a type digit but never digits then a colon … except a
// v4 message whose data starts with digits and ':', which the EIO query
// parameter settles when present.
func looksV3(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s) && s[i] == ':'
}

// redactV3Text rewrites a v3 text payload, recomputing each length in
// UTF-16 code units as Engine.IO v3 counts them.
func redactV3Text(s string) (string, bool) {
	var out strings.Builder
	changed := false
	for len(s) > 0 {
		colon := strings.IndexByte(s, ':')
		if colon <= 0 || colon > 10 {
			return "", false
		}
		n, err := strconv.Atoi(s[:colon])
		if err != nil || n < 0 {
			return "", false
		}
		s = s[colon+1:]
		end, ok := utf16Prefix(s, n)
		if !ok {
			return "", false
		}
		p := s[:end]
		s = s[end:]
		if r, ok := redactPacket(p); ok {
			p, changed = r, true
		}
		out.WriteString(strconv.Itoa(utf16Len(p)))
		out.WriteByte(':')
		out.WriteString(p)
	}
	return out.String(), changed
}

// utf16Prefix returns the byte length of the first n UTF-16 code units of s.
func utf16Prefix(s string, n int) (int, bool) {
	units := 0
	for i, r := range s {
		if units == n {
			return i, true
		}
		if r == utf8.RuneError {
			return 0, false
		}
		units += utf16.RuneLen(r)
		if units > n {
			return 0, false
		}
	}
	return len(s), units == n
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// redactV3Binary rewrites a v3 binary (XHR2) payload: per packet a 0/1
// byte, the length's decimal digits as bytes 0-9, 0xFF, then the packet.
func redactV3Binary(b []byte) ([]byte, bool) {
	var out bytes.Buffer
	changed := false
	for len(b) > 0 {
		typ := b[0]
		if typ > 1 {
			return b, false
		}
		i, n := 1, 0
		for ; i < len(b) && b[i] != 0xff; i++ {
			if b[i] > 9 || i > 10 {
				return b, false
			}
			n = n*10 + int(b[i])
		}
		if i >= len(b) || len(b)-i-1 < n {
			return b, false
		}
		p := b[i+1 : i+1+n]
		b = b[i+1+n:]
		if typ == 0 {
			if r, ok := redactPacket(string(p)); ok {
				p, changed = []byte(r), true
			}
		}
		out.WriteByte(typ)
		for _, d := range strconv.Itoa(len(p)) {
			out.WriteByte(byte(d - '0'))
		}
		out.WriteByte(0xff)
		out.Write(p)
	}
	return out.Bytes(), changed
}

// redactPacket masks an Engine.IO message packet carrying a Socket.IO
// CONNECT: "40{…}", "40/nsp,{…}", or protocol 4's "40/nsp?token=…,".
func redactPacket(p string) (string, bool) {
	if !strings.HasPrefix(p, "40") {
		return p, false
	}
	rest := p[2:]
	nsp := ""
	if strings.HasPrefix(rest, "/") {
		if i := strings.IndexByte(rest, ','); i >= 0 {
			nsp, rest = rest[:i+1], rest[i+1:]
		} else {
			nsp, rest = rest, ""
		}
	}
	changed := false
	if path, query, ok := strings.Cut(nsp, "?"); ok {
		comma := strings.HasSuffix(query, ",")
		nsp = path + "?" + redactQuery(strings.TrimSuffix(query, ","))
		if comma {
			nsp += ","
		}
		changed = true
	}
	if strings.TrimSpace(rest) != "" {
		rest = redactObject(rest)
		changed = true
	}
	return "40" + nsp + rest, changed
}

func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		parts[i] = k + "=" + url.QueryEscape(Redacted)
	}
	return strings.Join(parts, "&")
}

// redactObject keeps the keys of a JSON object, in order, and replaces each
// value. Anything that is not a single JSON object is replaced whole, since
// it cannot be shown to be harmless.
func redactObject(s string) string {
	const opaque = `{"` + Redacted + `":"` + Redacted + `"}`
	dec := json.NewDecoder(strings.NewReader(s))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return opaque
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for n := 0; dec.More(); n++ {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return opaque
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return opaque
		}
		if n > 0 {
			out.WriteByte(',')
		}
		writeJSONString(&out, key)
		out.WriteString(`:"` + Redacted + `"`)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return opaque
	}
	if strings.TrimSpace(s[dec.InputOffset():]) != "" {
		return opaque
	}
	out.WriteByte('}')
	return out.String()
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode's newline
}
