package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/sioproxy/sioproxy/internal/termsafe"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxBody caps what is read of any response body: a handshake is tiny and
// an error page needs only its start to be recognised.
const maxBody = 64 << 10

// exchange is one HTTP request as sent and what came back.
type exchange struct {
	Method  string
	Target  string // path and query
	ReqHdr  http.Header
	BodyLen int

	Status int
	Header http.Header
	Body   []byte
	Err    error
	Took   time.Duration
}

// shownReq are the request headers worth quoting: those we chose.
var shownResp = []string{"Content-Type", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Set-Cookie", "Server", "X-Served-By", "Upgrade", "Sec-WebSocket-Extensions"}

// request renders the request as one line: method, target, our headers.
func (x *exchange) request() string {
	var b strings.Builder
	b.WriteString(x.Method + " " + esc(x.Target))
	keys := make([]string, 0, len(x.ReqHdr))
	for k := range x.ReqHdr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range x.ReqHdr[k] {
			b.WriteString("  " + k + ": " + esc(redact(k, v)))
		}
	}
	if x.BodyLen > 0 {
		b.WriteString("  [body " + strconv.Itoa(x.BodyLen) + " B]")
	}
	return b.String()
}

// response renders what came back: status, notable headers, body start.
func (x *exchange) response() string {
	if x.Status == 0 {
		if x.Err != nil {
			return "no response: " + esc(x.Err.Error())
		}
		return "no response"
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(x.Status) + " " + http.StatusText(x.Status))
	for _, k := range shownResp {
		for _, v := range x.Header.Values(k) {
			b.WriteString("  " + k + ": " + esc(clip(v, 120)))
		}
	}
	if len(x.Body) > 0 {
		b.WriteString("  body: " + snippet(x.Body, 160))
	}
	if x.Err != nil {
		b.WriteString("  (then: " + esc(x.Err.Error()) + ")")
	}
	return b.String()
}

// do sends one request with its own deadline (d, or the probe timeout).
func (d *doctor) do(ctx context.Context, method, target string, body []byte, hdr http.Header, hold time.Duration) *exchange {
	return d.doWith(ctx, method, target, body, hdr, hold, true)
}

// doWith is do, with or without the --header values.
func (d *doctor) doWith(ctx context.Context, method, target string, body []byte, hdr http.Header, hold time.Duration, user bool) *exchange {
	x := &exchange{Method: method, Target: target, ReqHdr: http.Header{}, BodyLen: len(body)}
	if user {
		for k, vs := range d.opts.Header {
			x.ReqHdr[k] = append([]string(nil), vs...)
		}
	}
	for k, vs := range hdr {
		x.ReqHdr[k] = vs
	}
	if hold <= 0 {
		hold = d.opts.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, hold)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base.String()+target, rd)
	if err != nil {
		x.Err = err
		return x
	}
	req.Header = x.ReqHdr.Clone()
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	start := time.Now()
	resp, err := d.http.Do(req)
	if err != nil {
		x.Took = time.Since(start)
		x.Err = unwrapURLError(err, hold)
		return x
	}
	x.Status, x.Header = resp.StatusCode, resp.Header
	x.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	x.Took = time.Since(start)
	if err != nil {
		x.Err = unwrapURLError(err, hold)
	}
	return x
}

// unwrapURLError drops net/http's "Get \"url\":" prefix (the request is
// shown beside it) and names a timeout with its value.
func unwrapURLError(err error, hold time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("timed out after %v", hold)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if in := ue.Unwrap(); in != nil {
			return in
		}
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// cacheBuster is the t= parameter socket.io-client adds to polling URLs.
func cacheBuster() string {
	var b [6]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// esc makes a wire string safe for a terminal: control characters and
// invalid UTF-8 are escaped, never interpreted.
func esc(s string) string { return termsafe.String(s) }

// clip shortens s to n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// snippet quotes the start of a body, escaped.
func snippet(b []byte, n int) string {
	if len(b) > n*2 {
		b = b[:n*2]
	}
	return clip(esc(strings.TrimSpace(string(b))), n)
}

// redact hides credentials in a quoted request, so a report can be pasted
// into an issue: Authorization shows its scheme, Cookie its names.
func redact(name, v string) string {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, _, _ := strings.Cut(v, " ")
		return scheme + " <redacted>"
	case "Cookie":
		var parts []string
		for _, kv := range strings.Split(v, ";") {
			k, _, _ := strings.Cut(strings.TrimSpace(kv), "=")
			parts = append(parts, k+"=…")
		}
		return strings.Join(parts, "; ")
	}
	return v
}
