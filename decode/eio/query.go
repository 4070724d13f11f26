package eio

import (
	"bytes"
	"net/url"
	"strings"
)

// Query holds the Engine.IO parameters of a request URL.
type Query struct {
	EIO       string // raw EIO value
	Transport string // "polling", "websocket" or anything the client sent
	Sid       string
	B64       bool   // client cannot take binary (b64 present and non-empty, as the server tests it)
	JSONP     string // raw j value
	HasEIO    bool   // the EIO key was present
	HasJSONP  bool   // the j key was present: the server picks the JSONP transport
	T         string // cache-buster, opaque
}

// ParseQuery reads the Engine.IO keys from a raw query string. Malformed
// pairs are skipped, like the server's query parser does, so a bad app key
// never hides the Engine.IO ones.
func ParseQuery(rawQuery string) Query {
	var q Query
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		// First occurrence wins for strings; Node's qs would make an array,
		// which engine.io then treats as invalid, but the first value is the
		// most useful thing to show.
		switch key {
		case "EIO":
			if !q.HasEIO {
				q.EIO, q.HasEIO = val, true
			}
		case "transport":
			if q.Transport == "" {
				q.Transport = val
			}
		case "sid":
			if q.Sid == "" {
				q.Sid = val
			}
		case "b64":
			q.B64 = q.B64 || val != ""
		case "j":
			if !q.HasJSONP {
				q.JSONP, q.HasJSONP = val, true
			}
		case "t":
			if q.T == "" {
				q.T = val
			}
		}
	}
	return q
}

// Version mirrors the server: EIO "4" is v4, anything else, even a missing
// parameter, is v3.
func (q Query) Version() Version {
	if q.EIO == "4" {
		return V4
	}
	return V3
}

// SniffVersion guesses the version from a polling body when the query is
// absent or lies: v3 text starts with "<digits>:" whose length fits the
// body, v3 binary (XHR2) is octet-stream or starts with 0x00/0x01, v4 starts
// with a type character 0-6 or b. ok is false when none fits.
func SniffVersion(body []byte, contentType string) (Version, bool) {
	if len(body) == 0 {
		return 0, false
	}
	if body[0] == 0 || body[0] == 1 {
		return V3, true
	}
	if isXHR2(body, contentType) {
		return 0, false
	}
	if looksV3Text(body) {
		return V3, true
	}
	if c := body[0]; c >= '0' && c <= '6' || c == 'b' {
		return V4, true
	}
	return 0, false
}

// looksV3Text checks the first record's framing, because a v4 body such as
// "412:30" also starts with digits and a colon.
func looksV3Text(body []byte) bool {
	colon := bytes.IndexByte(body, ':')
	if colon <= 0 || colon > 20 {
		return false
	}
	n, _, bad := parseLen(body[:colon], 0, ':', len(body), asciiDigit)
	if bad >= 0 || n > len(body)-colon-1 {
		return false
	}
	end, _, msg := skipUTF16(body, colon+1, n)
	if msg != "" {
		return false
	}
	if n == 0 {
		return end == len(body) || body[end] >= '0' && body[end] <= '9'
	}
	_, _, msg = decodeText(V3, body[colon+1:end], false)
	return msg == "" && (end == len(body) || body[end] >= '0' && body[end] <= '9')
}

// SidParam returns the raw sid query parameter without parsing the whole
// query: the proxy runs it on every request. Engine.IO sids are
// base64url-ish and never need unescaping, so an escaped sid is returned
// as is.
func SidParam(rawQuery string) string {
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		if v, ok := strings.CutPrefix(kv, "sid="); ok {
			return v
		}
	}
	return ""
}
