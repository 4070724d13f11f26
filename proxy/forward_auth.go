package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/elazarl/goproxy"
)

// proxyAuth checks Proxy-Authorization: Basic (RFC 7617, RFC 9110 §11.7).
// Only digests are kept and compared, in constant time, so neither the
// length nor the content of the secret leaks through timing.
type proxyAuth struct{ want [sha256.Size]byte }

// newProxyAuth parses "user:pass".
func newProxyAuth(userPass string) (*proxyAuth, error) {
	if userPass == "" {
		return nil, nil
	}
	user, _, ok := strings.Cut(userPass, ":")
	if !ok || user == "" {
		return nil, fmt.Errorf("proxy: auth %q: want user:password", maskSecret(userPass))
	}
	return &proxyAuth{want: sha256.Sum256([]byte(userPass))}, nil
}

// maskSecret keeps what names the user, never the password.
func maskSecret(userPass string) string {
	user, _, _ := strings.Cut(userPass, ":")
	return user + ":…"
}

// ok reports whether r carries the credentials.
func (a *proxyAuth) ok(r *http.Request) bool {
	got := ""
	for _, v := range r.Header.Values("Proxy-Authorization") {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Basic") {
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				got = string(b)
			}
			break
		}
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], a.want[:]) == 1 && got != ""
}

// challenge answers 407 with the scheme the client must use.
func challenge(w http.ResponseWriter) {
	w.Header().Set("Proxy-Authenticate", `Basic realm="sioproxy", charset="UTF-8"`)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusProxyAuthRequired)
	io.WriteString(w, "sioproxy: proxy authentication required (Proxy-Authorization: Basic, as set with --auth)\n")
}

// connectTarget remembers the host:port a CONNECT named, for the requests
// that come through its tunnel.
type connectTarget struct{ hostport string }

// pinToTunnel routes a request read from inside a CONNECT tunnel to the
// CONNECT target, whatever its Host header or absolute URL says: the client
// (and --auth) allowed that one destination, and goproxy would otherwise
// route plain HTTP by the Host header, letting a tunnel to a.example reach
// any host the proxy can, its loopback services included. The Host header
// itself is relayed as sent (a virtual host on that target).
func pinToTunnel(r *http.Request, ctx *goproxy.ProxyCtx) {
	var hostport string
	switch t := ctx.UserData.(type) {
	case *connectTarget:
		hostport = t.hostport
	case *mitmTunnel:
		hostport = t.host
	default:
		return // not inside a tunnel
	}
	if hostport != "" && r.URL != nil && r.URL.Host != hostport {
		r.URL.Host = hostport
	}
}
