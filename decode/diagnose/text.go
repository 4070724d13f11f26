package diagnose

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/obs"
)

const (
	maxURL  = 120
	maxBody = 100
)

// clip shortens s to n bytes (on a rune boundary), marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// snippet is a printable, short rendering of a body.
func snippet(b []byte) string {
	if len(b) > maxBody*4 {
		b = b[:maxBody*4]
	}
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			sb.WriteByte(' ')
		case r < 0x20 || r == utf8.RuneError:
			sb.WriteString(`\x` + strconv.FormatInt(int64(r), 16))
		default:
			sb.WriteRune(r)
		}
	}
	return clip(strings.TrimSpace(sb.String()), maxBody)
}

// httpLine is one exchange as evidence:
// "GET /socket.io/?EIO=4&… → 400 {"code":1,…}".
func httpLine(x *obs.HTTPExchange) string {
	var b strings.Builder
	b.WriteString(x.Method)
	b.WriteByte(' ')
	b.WriteString(clip(x.URL, maxURL))
	b.WriteString(" → ")
	switch {
	case x.Status == 0 && x.Err != "":
		b.WriteString("no response (")
		if x.ErrKind != "" {
			b.WriteString(x.ErrKind + ": ")
		}
		b.WriteString(clip(x.Err, 80))
		b.WriteString(")")
	case x.Status == 0:
		b.WriteString("(in flight)")
	default:
		b.WriteString(strconv.Itoa(x.Status))
		if s := snippet(x.RespBody); s != "" {
			b.WriteString(" " + s)
		}
	}
	if x.Upstream != "" {
		b.WriteString(" [" + x.Upstream + "]")
	}
	return b.String()
}

func wsOpenLine(x *obs.WSOpen) string {
	l := "GET " + clip(x.URL, maxURL) + " → " + strconv.Itoa(x.Status)
	if x.Upstream != "" {
		l += " [" + x.Upstream + "]"
	}
	return l
}

func frameLine(conn uint64, dir, data string) string {
	return "ws#" + strconv.FormatUint(conn, 10) + " " + dir + " " + clip(data, maxBody)
}

// dur renders a duration for a sentence: "250 ms", "1.5 s".
func dur(d time.Duration) string {
	if d < time.Second && d > -time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

func msDur(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

// identityHeaders name the backend that answered, on load balancers and
// servers that say so.
var identityHeaders = []string{"Server", "Via", "X-Served-By", "X-Backend-Server", "X-Backend", "X-Server-Id", "X-Upstream", "X-Node"}

func identity(h http.Header) map[string]string {
	var m map[string]string
	for _, k := range identityHeaders {
		if v := h.Get(k); v != "" {
			if m == nil {
				m = make(map[string]string, 2)
			}
			m[k] = v
		}
	}
	return m
}

// affinity cookie names of common load balancers, plus sioproxy's own and
// Engine.IO's io cookie.
var affinityNames = []string{"io", "AWSALB", "AWSALBCORS", "SERVERID", "INGRESSCOOKIE", "server_id", "route", "JSESSIONID", "sioproxy_upstream"}

func isAffinity(name string) bool {
	for _, n := range affinityNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// affinityCookies maps the affinity cookies a response sets to their
// values; a cookie being deleted is left out.
func affinityCookies(setCookies []string) map[string]string {
	var m map[string]string
	for _, sc := range setCookies {
		c, err := http.ParseSetCookie(sc)
		if err != nil || !isAffinity(c.Name) || c.MaxAge < 0 || c.Value == "" {
			continue
		}
		if !c.Expires.IsZero() && c.Expires.Unix() <= 0 {
			continue
		}
		if m == nil {
			m = make(map[string]string, 1)
		}
		m[c.Name] = c.Value
	}
	return m
}

// cookieValue returns the named cookie of a Cookie request header.
func cookieValue(header, name string) (string, bool) {
	for part := range strings.SplitSeq(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// origin is a parsed Origin: scheme, host, port.
type origin struct {
	scheme, host, port string
}

func parseOrigin(s string) (origin, bool) {
	if s == "" || s == "null" {
		return origin{}, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return origin{}, false
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		o.port = defaultPort(o.scheme)
	}
	return o, true
}

func defaultPort(scheme string) string {
	if scheme == "https" || scheme == "wss" {
		return "443"
	}
	return "80"
}

// requestOrigin is the origin the request was addressed to: its Host, and
// the scheme of sioproxy's listener (or of the TLS terminator in front, by
// X-Forwarded-Proto).
func (e *Engine) requestOrigin(x *obs.HTTPExchange) (origin, bool) {
	host := x.Host
	if host == "" && x.ReqHeader != nil {
		host = x.ReqHeader.Get("Host")
	}
	if host == "" {
		return origin{}, false
	}
	scheme := "http"
	if e.opts.ListenTLS {
		scheme = "https"
	}
	if e.opts.Forward {
		if u, err := url.Parse(x.Upstream); err == nil && u.Scheme != "" {
			scheme = strings.ToLower(u.Scheme)
		}
	}
	if p := x.ReqHeader.Get("X-Forwarded-Proto"); p != "" {
		p, _, _ = strings.Cut(p, ",")
		scheme = strings.ToLower(strings.TrimSpace(p))
	}
	u, err := url.Parse(scheme + "://" + host)
	if err != nil {
		return origin{}, false
	}
	o := origin{scheme: scheme, host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		o.port = defaultPort(scheme)
	}
	return o, true
}
