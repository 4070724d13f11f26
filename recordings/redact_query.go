package recordings

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// DefaultRedactParams are the query parameters whose values --redact
// masks in every URL: what apps pass as io({query: {...}}), signed URLs
// and OAuth redirects put there. A name matches case-insensitively, and
// any name containing "token", "secret", "passw", "apikey", "api_key" or
// "signature" matches too (csrf_token, authToken, X-Amz-Signature).
// Engine.IO's own parameters (EIO, transport, sid, t, b64, j) never do:
// the decoder needs them and they are not secrets.
var DefaultRedactParams = []string{
	"token", "access_token", "refresh_token", "id_token", "auth", "authorization",
	"key", "apikey", "api_key", "password", "passwd", "pwd", "secret", "client_secret",
	"session", "sessionid", "session_id", "sig", "signature", "jwt", "code",
	"x-amz-credential", "x-amz-security-token",
}

var secretParamParts = []string{"token", "secret", "passw", "apikey", "api_key", "signature"}

// engineParams are never masked.
var engineParams = map[string]bool{"eio": true, "transport": true, "sid": true, "t": true, "b64": true, "j": true}

// Redactor masks secrets in observations: what Redact does, with the
// query parameters of DefaultRedactParams and any extra names.
type Redactor struct {
	params map[string]bool
}

// NewRedactor returns a Redactor masking DefaultRedactParams and extra
// (--redact-param).
func NewRedactor(extra []string) *Redactor {
	r := &Redactor{params: map[string]bool{}}
	for _, p := range DefaultRedactParams {
		r.params[p] = true
	}
	for _, p := range extra {
		r.params[strings.ToLower(p)] = true
	}
	return r
}

var defaultRedactor = NewRedactor(nil)

// secretParam reports whether the query parameter name is masked.
func (r *Redactor) secretParam(name string) bool {
	n := strings.ToLower(name)
	if engineParams[n] {
		return false
	}
	if r.params[n] {
		return true
	}
	for _, part := range secretParamParts {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// Redact returns o with secrets masked (see the package-level Redact), and
// the values of secret query parameters masked in its URLs (request URI,
// Referer and Location headers). o itself is not modified.
func (r *Redactor) Redact(o obs.Obs) obs.Obs {
	o = redactObs(o)
	switch {
	case o.HTTP != nil:
		u, changed := r.URL(o.HTTP.URL)
		rh, c2 := r.urlHeaders(o.HTTP.ReqHeader, "Referer")
		sh, c3 := r.urlHeaders(o.HTTP.RespHeader, "Location")
		if changed || c2 || c3 {
			h := *o.HTTP
			h.URL, h.ReqHeader, h.RespHeader = u, rh, sh
			o.HTTP = &h
		}
	case o.WSOpen != nil:
		u, changed := r.URL(o.WSOpen.URL)
		rh, c2 := r.urlHeaders(o.WSOpen.ReqHeader, "Referer")
		if changed || c2 {
			w := *o.WSOpen
			w.URL, w.ReqHeader = u, rh
			o.WSOpen = &w
		}
	}
	return o
}

// URL masks the values of secret query parameters in a URL or request
// URI, keeping everything else byte for byte (order, encoding, fragment).
func (r *Redactor) URL(s string) (string, bool) {
	base, query, ok := strings.Cut(s, "?")
	if !ok {
		return s, false
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	parts := strings.Split(query, "&")
	changed := false
	for i, kv := range parts {
		k, v, hasV := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !r.secretParam(name) || (hasV && v == redactedQuery) {
			continue
		}
		parts[i] = k + "=" + redactedQuery
		changed = true
	}
	if !changed {
		return s, false
	}
	out := base + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out, true
}

var redactedQuery = url.QueryEscape(Redacted)

// urlHeaders masks query secrets in the URL-valued header name of h,
// copying h if anything changed.
func (r *Redactor) urlHeaders(h http.Header, name string) (http.Header, bool) {
	vv := h.Values(name)
	if len(vv) == 0 {
		return h, false
	}
	masked := make([]string, len(vv))
	changed := false
	for i, v := range vv {
		var c bool
		masked[i], c = r.URL(v)
		changed = changed || c
	}
	if !changed {
		return h, false
	}
	c := h.Clone()
	c[http.CanonicalHeaderKey(name)] = masked
	return c, true
}
