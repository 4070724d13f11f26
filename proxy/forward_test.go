package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// fwdHarness is a Forward proxy under test, with one sink.
type fwdHarness struct {
	f    *Forward
	srv  *httptest.Server
	sink *bus.Queue[obs.Obs]
	ca   *certs.CA
	url  *url.URL
}

func newFwdHarness(t testing.TB, opts ForwardOptions) *fwdHarness {
	t.Helper()
	h := &fwdHarness{sink: bus.NewQueue[obs.Obs](4096)}
	if opts.CA == nil {
		ca, err := certs.NewCA("sioproxy test CA", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		opts.CA = ca
	}
	h.ca = opts.CA
	opts.Sinks = []*bus.Queue[obs.Obs]{h.sink}
	if opts.ErrorLog == nil {
		opts.ErrorLog = discardLog
	}
	f, err := NewForward(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.f = f
	h.srv = httptest.NewUnstartedServer(f)
	h.srv.Config.ErrorLog = discardLog
	h.srv.Start()
	h.url, _ = url.Parse(h.srv.URL)
	t.Cleanup(func() {
		h.srv.Close()
		f.Close()
	})
	return h
}

func (h *fwdHarness) next(t testing.TB, k obs.Kind) obs.Obs {
	t.Helper()
	return (&harness{sink: h.sink}).next(t, k)
}

func (h *fwdHarness) nextAny(t testing.TB) obs.Obs {
	t.Helper()
	return (&harness{sink: h.sink}).nextAny(t)
}

// client returns an HTTP client using the proxy, trusting roots (nil:
// the system roots).
func (h *fwdHarness) client(t testing.TB, roots *x509.CertPool) *http.Client {
	tr := &http.Transport{Proxy: http.ProxyURL(h.url), DisableCompression: true,
		TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func (h *fwdHarness) caPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(h.ca.Cert)
	return p
}

func pollHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	io.WriteString(w, `0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
}

func TestForwardPlainHTTP(t *testing.T) {
	be := backend(t, http.HandlerFunc(pollHandler))
	h := newFwdHarness(t, ForwardOptions{})
	resp, err := h.client(t, nil).Get(be.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte(`0{"sid":"abc"`)) {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	ex := h.next(t, obs.KindHTTP).HTTP
	u, _ := url.Parse(be.URL)
	if ex.Method != "GET" || ex.URL != "/socket.io/?EIO=4&transport=polling" || ex.Upstream != be.URL ||
		ex.Host != u.Host || ex.Status != 200 || !bytes.Equal(ex.RespBody, body) || ex.Err != "" {
		t.Fatalf("exchange %+v", ex)
	}
}

func TestForwardNonProxyRequest(t *testing.T) {
	h := newFwdHarness(t, ForwardOptions{})
	resp, err := http.Get(h.srv.URL + "/socket.io/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "forward mode") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestForwardUpstreamDown(t *testing.T) {
	h := newFwdHarness(t, ForwardOptions{})
	addr := refusedAddr(t)
	resp, err := h.client(t, nil).Get("http://" + addr + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(string(b), "sioproxy: upstream http://"+addr+" unreachable") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
	if ex := h.next(t, obs.KindHTTP).HTTP; ex.ErrKind != "dial" || ex.Upstream != "http://"+addr {
		t.Fatalf("exchange %+v", ex)
	}
}

func TestForwardTunnelUntouched(t *testing.T) {
	be := httptest.NewTLSServer(http.HandlerFunc(pollHandler))
	t.Cleanup(be.Close)
	h := newFwdHarness(t, ForwardOptions{Intercept: []string{"*.example.com"}})
	roots := x509.NewCertPool()
	roots.AddCert(be.Certificate())
	resp, err := h.client(t, roots).Get(be.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The client saw the server's own certificate: the TLS bytes went
	// through untouched.
	if got := resp.TLS.PeerCertificates[0]; !got.Equal(be.Certificate()) {
		t.Fatalf("client saw certificate %q, want the backend's", got.Subject)
	}
	ex := h.next(t, obs.KindHTTP).HTTP
	host := strings.TrimPrefix(be.URL, "https://")
	if ex.Method != http.MethodConnect || ex.URL != host || ex.Status != 200 || ex.Err != "" {
		t.Fatalf("tunnel exchange %+v", ex)
	}
	if st := h.f.Stats(); st.Exchanges != 1 {
		t.Fatalf("stats %+v: only the CONNECT is an exchange", st)
	}
}

func TestForwardIntercepts(t *testing.T) {
	h := &Forward{}
	tests := []struct {
		patterns []string
		host     string
		want     bool
	}{
		{nil, "example.com:443", true},
		{[]string{"*.example.com"}, "api.example.com:443", true},
		{[]string{"*.example.com"}, "example.com:443", false},
		{[]string{"localhost:8443"}, "localhost:8443", true},
		{[]string{"localhost:8443"}, "localhost:443", false},
		{[]string{"127.0.0.1"}, "127.0.0.1:3000", true},
		{[]string{"a.test", "b.test"}, "b.test:443", true},
		{[]string{"*.example.com:*"}, "api.example.com:8443", true},
		{[]string{"::1"}, "[::1]:443", true},
		{[]string{"[::1]:443"}, "[::1]:443", true},
		{[]string{"[::1]:443"}, "[::1]:80", false},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.patterns, ",")+"/"+tc.host, func(t *testing.T) {
			h.patterns = tc.patterns
			if got := h.intercepts(tc.host); got != tc.want {
				t.Fatalf("intercepts(%q) = %v", tc.host, got)
			}
		})
	}
	if _, err := NewForward(ForwardOptions{CA: &certs.CA{}, Intercept: []string{"[bad"}}); err == nil || !strings.Contains(err.Error(), "[bad") {
		t.Fatalf("bad pattern: err %v", err)
	}
	if _, err := NewForward(ForwardOptions{}); err == nil {
		t.Fatal("no CA: no error")
	}
}

// upstreamTLS starts a TLS backend whose certificate comes from its own
// test CA, and returns it with a pool trusting that CA.
func upstreamTLS(t testing.TB, h http.Handler) (*httptest.Server, *x509.CertPool) {
	ca, err := certs.NewCA("upstream test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := certs.Issue(ca, certs.LeafSpec{Hosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	s.Config.ErrorLog = discardLog
	s.StartTLS()
	t.Cleanup(s.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return s, pool
}

func TestForwardMITMSameObservationsAsReverse(t *testing.T) {
	be, upstreamRoots := upstreamTLS(t, http.HandlerFunc(pollHandler))
	h := newFwdHarness(t, ForwardOptions{UpstreamCA: upstreamRoots})
	const path = "/socket.io/?EIO=4&transport=polling&t=x1"
	resp, err := h.client(t, h.caPool()).Get(be.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if iss := resp.TLS.PeerCertificates[0].Issuer.CommonName; iss != "sioproxy test CA" {
		t.Fatalf("leaf issued by %q, want the sioproxy CA", iss)
	}
	fwd := h.next(t, obs.KindHTTP).HTTP

	rev := newHarness(t, Options{UpstreamCA: upstreamRoots}, be.URL)
	resp, err = testClient(t).Get(rev.url + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := rev.next(t, obs.KindHTTP).HTTP

	if fwd.Upstream != be.URL || fwd.Upstream != want.Upstream {
		t.Fatalf("upstream: forward %q reverse %q, want %q", fwd.Upstream, want.Upstream, be.URL)
	}
	norm := func(e *obs.HTTPExchange) obs.HTTPExchange {
		c := *e
		c.ID, c.Client, c.Start, c.End, c.ReqHeader, c.Host = 0, "", time.Time{}, time.Time{}, nil, ""
		c.RespHeader = c.RespHeader.Clone()
		c.RespHeader.Del("Date")
		return c
	}
	f, r := norm(fwd), norm(want)
	if f.Method != r.Method || f.URL != r.URL || f.Status != r.Status || !bytes.Equal(f.RespBody, r.RespBody) ||
		f.RespLen != r.RespLen || f.Proto != r.Proto || f.ErrKind != r.ErrKind || len(f.RespHeader) != len(r.RespHeader) {
		t.Fatalf("forward %+v\nreverse %+v", f, r)
	}
	if fwd.Client == "" || fwd.Host != strings.TrimPrefix(be.URL, "https://") {
		t.Fatalf("forward client %q host %q", fwd.Client, fwd.Host)
	}
}

func TestForwardMITMUpstreamTLSFault(t *testing.T) {
	be, _ := upstreamTLS(t, http.HandlerFunc(pollHandler))
	h := newFwdHarness(t, ForwardOptions{}) // system roots: the upstream CA is unknown
	resp, err := h.client(t, h.caPool()).Get(be.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The upstream sends its chain up to its root, so verification stops
	// at a self-signed certificate nobody trusts.
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "failed TLS (self_signed)") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
	ev := h.next(t, obs.KindTLS).TLS
	if ev.Leg != "upstream" || ev.Kind != "self_signed" || ev.Host != strings.TrimPrefix(be.URL, "https://") {
		t.Fatalf("TLS event %+v", ev)
	}
}

// alertRewriter turns the TLS 1.2 plaintext alert bad_certificate, which
// Go clients send for any verification failure, into unknown_ca, which is
// what OpenSSL (Node) sends for an untrusted issuer.
type alertRewriter struct{ net.Conn }

func (c alertRewriter) Write(b []byte) (int, error) {
	b = bytes.ReplaceAll(b, []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 42}, []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 48})
	return c.Conn.Write(b)
}

func TestForwardClientRejectsCA(t *testing.T) {
	be, upstreamRoots := upstreamTLS(t, http.HandlerFunc(pollHandler))
	tests := []struct {
		name      string
		tls12     bool
		wantAlert string
	}{
		{"TLS 1.3 encrypted alert", false, "bad_certificate"},
		{"TLS 1.2 OpenSSL-style alert", true, "unknown_ca"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFwdHarness(t, ForwardOptions{UpstreamCA: upstreamRoots})
			cfg := &tls.Config{RootCAs: x509.NewCertPool()} // trusts nothing
			if tc.tls12 {
				cfg.MaxVersion = tls.VersionTLS12
			}
			tr := &http.Transport{Proxy: http.ProxyURL(h.url), TLSClientConfig: cfg,
				DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
					c, err := (&net.Dialer{}).DialContext(ctx, n, a)
					if err != nil {
						return nil, err
					}
					return alertRewriter{c}, nil
				}}
			defer tr.CloseIdleConnections()
			_, err := (&http.Client{Transport: tr}).Get(be.URL + "/socket.io/?EIO=4&transport=polling")
			if err == nil {
				t.Fatal("client trusted a CA it does not know")
			}
			ev := h.next(t, obs.KindTLS).TLS
			if ev.Leg != "client" || ev.Kind != "alert" || ev.Alert != tc.wantAlert || ev.Host != "127.0.0.1" ||
				ev.Client == "" || !strings.Contains(ev.Detail, "sioproxy ca") {
				t.Fatalf("TLS event %+v, want alert %s", ev, tc.wantAlert)
			}
		})
	}
}

func TestCAKeyFileMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sioproxy")
	ca, err := certs.LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, certs.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %04o, want 0600", st.Mode().Perm())
	}
	f, err := NewForward(ForwardOptions{CA: ca, Sinks: []*bus.Queue[obs.Obs]{bus.NewQueue[obs.Obs](1)}})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// wsEchoCloser answers one message with its echo, then closes the
// connection with a close frame, as a server that ends a session does.
func wsEchoCloser(t testing.TB) http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		c.WriteMessage(typ, msg)
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"), time.Now().Add(waitLimit))
	})
}

// checkWSObs reads the observations of one WebSocket connection that
// echoed msg and was closed by the server with 4000 "bye".
func checkWSObs(t *testing.T, h *fwdHarness, upstream, msg string) {
	t.Helper()
	open := h.next(t, obs.KindWSOpen).WSOpen
	if open.Upstream != upstream || !strings.HasPrefix(open.URL, "/socket.io/?EIO=4&transport=websocket") || open.Status != 101 {
		t.Fatalf("open %+v", open)
	}
	var got []string
	for {
		o := h.nextAny(t)
		switch o.Kind {
		case obs.KindWSMsg:
			m := o.WSMsg
			if m.Conn != open.Conn {
				t.Fatalf("message of conn %d, want %d", m.Conn, open.Conn)
			}
			got = append(got, m.Dir.String()+" "+string(rune('0'+m.Opcode))+" "+string(m.Data))
		case obs.KindWSClose:
			c := o.WSClose
			if c.Conn != open.Conn || c.By != "server" || c.Code != 4000 || c.Reason != "bye" {
				t.Fatalf("close %+v", c)
			}
			if len(got) < 3 || got[0] != "c2s 1 "+msg || got[1] != "s2c 1 "+msg || !strings.HasPrefix(got[2], "s2c 8") {
				t.Fatalf("messages %q", got)
			}
			return
		}
	}
}

func TestForwardWebSocket(t *testing.T) {
	const msg = `42["chat","hi"]`
	plainBE := backend(t, wsEchoCloser(t))
	tlsBE, roots := upstreamTLS(t, wsEchoCloser(t))
	tests := []struct {
		name    string
		backend *httptest.Server
		scheme  string
	}{
		{"ws through CONNECT", plainBE, "ws"},
		{"wss intercepted", tlsBE, "wss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFwdHarness(t, ForwardOptions{UpstreamCA: roots})
			d := websocket.Dialer{Proxy: http.ProxyURL(h.url), TLSClientConfig: &tls.Config{RootCAs: h.caPool()}, HandshakeTimeout: waitLimit}
			host := strings.TrimPrefix(strings.TrimPrefix(tc.backend.URL, "http://"), "https://")
			c, _, err := d.Dial(tc.scheme+"://"+host+"/socket.io/?EIO=4&transport=websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(waitLimit))
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			if _, b, err := c.ReadMessage(); err != nil || string(b) != msg {
				t.Fatalf("echo %q %v", b, err)
			}
			_, _, err = c.ReadMessage()
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4000 {
				t.Fatalf("want close 4000, got %v", err)
			}
			// The proxy must close the client once the server is gone.
			if _, err := c.NetConn().Read(make([]byte, 1)); err == nil {
				t.Fatal("connection still open after the server closed")
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("proxy left the client open after the server closed")
			}
			up := "http://" + host
			if tc.scheme == "wss" {
				up = "https://" + host
			}
			checkWSObs(t, h, up, msg)
		})
	}
}

// TestForwardWebSocketAbsoluteURL is the plain forward path: an upgrade
// sent as an absolute-URL request (Node's HTTP proxy agents do this for
// ws://), relayed by sioproxy's own relay.
func TestForwardWebSocketAbsoluteURL(t *testing.T) {
	const msg = `42["chat","hi"]`
	be := backend(t, wsEchoCloser(t))
	h := newFwdHarness(t, ForwardOptions{})
	conn, err := net.Dial("tcp", h.url.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitLimit))
	host := strings.TrimPrefix(be.URL, "http://")
	io.WriteString(conn, "GET http://"+host+"/socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: "+host+
		"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nProxy-Connection: keep-alive\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	conn.Write(maskedFrame(1, []byte(msg)))
	rest, err := io.ReadAll(br) // ends only if the proxy closes the client
	if err != nil {
		t.Fatalf("reading until the proxy closes: %v", err)
	}
	if !bytes.Contains(rest, []byte(msg)) || !bytes.Contains(rest, []byte("bye")) {
		t.Fatalf("client got %q", rest)
	}
	conn.Close() // the relay waits for the client's side to end too
	checkWSObs(t, h, be.URL, msg)
}

func maskedFrame(op byte, payload []byte) []byte {
	key := []byte{1, 2, 3, 4}
	f := []byte{0x80 | op, 0x80 | byte(len(payload))}
	f = append(f, key...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}
