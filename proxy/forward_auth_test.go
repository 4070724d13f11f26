package proxy

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestForwardAuth(t *testing.T) {
	be := backend(t, http.HandlerFunc(pollHandler))
	h := newFwdHarness(t, ForwardOptions{Auth: "alice:s3cret"})
	basic := func(up string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(up)) }

	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusProxyAuthRequired},
		{"wrong password", basic("alice:nope"), http.StatusProxyAuthRequired},
		{"prefix of the password", basic("alice:s3cre"), http.StatusProxyAuthRequired},
		{"other scheme", "Bearer alice:s3cret", http.StatusProxyAuthRequired},
		{"right", basic("alice:s3cret"), http.StatusOK},
		{"scheme case-insensitive", "basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret")), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Absolute-form request.
			req, _ := http.NewRequest("GET", be.URL+"/socket.io/?EIO=4&transport=polling", nil)
			if tc.header != "" {
				req.Header.Set("Proxy-Authorization", tc.header)
			}
			tr := &http.Transport{Proxy: http.ProxyURL(h.url)}
			defer tr.CloseIdleConnections()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("GET: status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusProxyAuthRequired && !strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Basic ") {
				t.Fatalf("407 without a Basic challenge: %q", resp.Header.Get("Proxy-Authenticate"))
			}
			// CONNECT.
			if got := rawConnect(t, h.url.Host, be.Listener.Addr().String(), tc.header); got != tc.want {
				t.Fatalf("CONNECT: status %d, want %d", got, tc.want)
			}
		})
	}
}

// rawConnect sends a CONNECT and returns the status.
func rawConnect(t *testing.T, proxyAddr, target, auth string) int {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
	if auth != "" {
		req += "Proxy-Authorization: " + auth + "\r\n"
	}
	io.WriteString(c, req+"\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func TestForwardAuthBadValue(t *testing.T) {
	_, err := NewForward(ForwardOptions{CA: newFwdHarness(t, ForwardOptions{}).ca, Auth: "nocolon"})
	if err == nil || !strings.Contains(err.Error(), "want user:password") {
		t.Fatalf("err = %v", err)
	}
}

// Plain HTTP and HTTPS inside a CONNECT tunnel go to the CONNECT target,
// not to the host their Host header (or absolute URL) names.
func TestForwardTunnelPinnedToConnectTarget(t *testing.T) {
	hit := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" host="+r.Host)
		})
	}
	target := backend(t, hit("target"))
	other := backend(t, hit("other"))
	targetTLS, roots := upstreamTLS(t, hit("target"))
	h := newFwdHarness(t, ForwardOptions{UpstreamCA: roots})
	otherHost := other.Listener.Addr().String()

	for _, tc := range []struct {
		name    string
		target  string
		tls     bool
		reqLine string
	}{
		{"plain, Host header", target.Listener.Addr().String(), false, "GET /x HTTP/1.1\r\nHost: " + otherHost},
		{"plain, absolute URL", target.Listener.Addr().String(), false, "GET http://" + otherHost + "/x HTTP/1.1\r\nHost: " + otherHost},
		{"tls, Host header", targetTLS.Listener.Addr().String(), true, "GET /x HTTP/1.1\r\nHost: " + otherHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", h.url.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "CONNECT "+tc.target+" HTTP/1.1\r\nHost: "+tc.target+"\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("CONNECT: %v %v", resp, err)
			}
			var conn net.Conn = c
			if tc.tls {
				host, _, _ := net.SplitHostPort(tc.target)
				tc := tls.Client(c, &tls.Config{RootCAs: h.caPool(), ServerName: host})
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				conn, br = tc, bufio.NewReader(tc)
			}
			io.WriteString(conn, tc.reqLine+"\r\nConnection: close\r\n\r\n")
			resp, err = http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if !strings.HasPrefix(string(body), "target host="+otherHost) {
				t.Fatalf("tunnel to %s answered %q (want the CONNECT target, Host header kept)", tc.target, body)
			}
		})
	}
}
