package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/obs"
)

// A request that fails because of the client's own body is the client's
// fault: labelled client_abort or client_bad_request (never
// upstream_reset) and, when anyone is left to answer, answered 400, not
// 502 "upstream failed".
func TestClientBodyFaultsAreTheClients(t *testing.T) {
	for _, tc := range []struct {
		name, head, body string
		closeAfter       bool
		kind             string
		status           int
	}{
		{"abort mid body", "Content-Length: 1000\r\n", strings.Repeat("x", 10), true, "client_abort", 0},
		{"abort mid chunk", "Transfer-Encoding: chunked\r\n", "3e8\r\nxxxxx", true, "client_abort", 0},
		{"bare LF chunked", "Transfer-Encoding: chunked\r\n", "5\nhello\n0\n\n", false, "client_bad_request", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, "ok")
			}))
			h := newHarness(t, Options{}, be.URL)
			conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(waitLimit))
			io.WriteString(conn, "POST /socket.io/?EIO=4&transport=polling&sid=a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"+tc.head+"\r\n"+tc.body)
			if tc.closeAfter {
				conn.(*net.TCPConn).CloseWrite()
			}
			if tc.status != 0 {
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status || !strings.Contains(string(body), "client sent a malformed request body") {
					t.Errorf("answered %d %q, want %d naming the client's body", resp.StatusCode, body, tc.status)
				}
			}
			o := h.next(t, obs.KindHTTP).HTTP
			if o.ErrKind != tc.kind {
				t.Errorf("ErrKind %q (err %q), want %q", o.ErrKind, o.Err, tc.kind)
			}
			if !strings.Contains(o.Err, "client") {
				t.Errorf("error %q does not say the client did it", o.Err)
			}
		})
	}
}
