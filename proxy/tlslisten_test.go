package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/certs"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// tlsServe serves a trivial handler on a ListenTLS (or SniffPlain)
// listener and returns the address and the sink.
func tlsServe(t *testing.T, wrap func(net.Listener, []*bus.Queue[obs.Obs]) net.Listener) (string, *harness) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{sink: bus.NewQueue[obs.Obs](64)}
	ln := wrap(raw, []*bus.Queue[obs.Obs]{h.sink})
	srv := &http.Server{ErrorLog: discardLog, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			io.WriteString(w, "tls ")
		}
		io.WriteString(w, "ok")
	})}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		srv.Close()
		ln.Close()
		<-done
	})
	return raw.Addr().String(), h
}

func localhostTLS(t *testing.T) (tls.Certificate, *x509.CertPool) {
	c, err := certs.Localhost()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	return *c, pool
}

func TestListenTLS(t *testing.T) {
	cert, pool := localhostTLS(t)
	addr, h := tlsServe(t, func(ln net.Listener, s []*bus.Queue[obs.Obs]) net.Listener { return ListenTLS(ln, cert, s) })
	get := func(t *testing.T, url string, cfg *tls.Config) (string, error) {
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + string(b), nil
	}

	t.Run("trusting client", func(t *testing.T) {
		got, err := get(t, "https://"+addr+"/", &tls.Config{RootCAs: pool})
		if err != nil || got != "200 OK tls ok" {
			t.Fatalf("got %q %v", got, err)
		}
	})
	t.Run("plain HTTP to the TLS port", func(t *testing.T) {
		got, err := get(t, "http://"+addr+"/socket.io/?EIO=4&transport=polling", nil)
		if err != nil || !strings.HasPrefix(got, "400 Bad Request Client sent an HTTP request to an HTTPS server") {
			t.Fatalf("got %q %v, want net/http's 400", got, err)
		}
		ev := h.next(t, obs.KindTLS).TLS
		if ev.Kind != "plain_http" || ev.Leg != "client" || !strings.Contains(ev.Detail, "GET /") || ev.Client == "" {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("client rejects the certificate", func(t *testing.T) {
		tests := []struct {
			name  string
			tls12 bool
			want  string
		}{
			{"TLS 1.3", false, "bad_certificate"},
			{"TLS 1.2 OpenSSL-style", true, "unknown_ca"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				raw, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				cfg := &tls.Config{ServerName: "localhost", RootCAs: x509.NewCertPool()}
				if tc.tls12 {
					cfg.MaxVersion = tls.VersionTLS12
				}
				c := tls.Client(alertRewriter{raw}, cfg)
				c.SetDeadline(time.Now().Add(waitLimit))
				if err := c.Handshake(); err == nil {
					t.Fatal("handshake succeeded with an untrusted certificate")
				}
				c.Close()
				ev := h.next(t, obs.KindTLS).TLS
				if ev.Kind != "alert" || ev.Alert != tc.want || ev.Host != "localhost" || !strings.Contains(ev.Detail, "does not accept the certificate") {
					t.Fatalf("event %+v, want alert %s", ev, tc.want)
				}
			})
		}
	})
	t.Run("client closes during the handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A ClientHello cut short, then EOF: what a client that gives up
		// without an alert looks like.
		c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00})
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
		ev := h.next(t, obs.KindTLS).TLS
		if ev.Kind != "alert" || ev.Alert != "" || !strings.Contains(ev.Detail, "closed the connection during the TLS handshake") {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("port scan says nothing", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		// The next event must be the trusting client's success: none.
		if got, err := get(t, "https://"+addr+"/", &tls.Config{RootCAs: pool}); err != nil || got != "200 OK tls ok" {
			t.Fatalf("got %q %v", got, err)
		}
		select {
		case o := <-h.sink.C():
			t.Fatalf("unexpected %+v", o.TLS)
		default:
		}
	})
}

func TestListenTLSCloseAbortsHandshakes(t *testing.T) {
	cert, _ := localhostTLS(t)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := bus.NewQueue[obs.Obs](8)
	ln := ListenTLS(raw, cert, []*bus.Queue[obs.Obs]{q})
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{0x16, 0x03}) // a handshake that never completes
	ln.Close()                  // must not wait for the client's timeout
	q.Close()                   // safe: nothing is pushed after Close
	if _, err := ln.Accept(); err == nil {
		t.Fatal("Accept after Close succeeded")
	}
}

func TestSniffPlain(t *testing.T) {
	addr, h := tlsServe(t, SniffPlain)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	if _, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/socket.io/"); err == nil {
		t.Fatal("TLS to a plain port succeeded")
	}
	ev := h.next(t, obs.KindTLS).TLS
	if ev.Kind != "tls_on_plain" || ev.Leg != "client" || ev.Client == "" {
		t.Fatalf("event %+v", ev)
	}
	resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("plain client got %q", b)
	}
	select {
	case o := <-h.sink.C():
		t.Fatalf("plain HTTP reported %+v", o.TLS)
	default:
	}
}

func TestLooksLikeHTTP(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"GET /", true}, {"POST ", true}, {"OPTIO", true}, {"PATCH", true}, {"HEAD ", true},
		{"\x16\x03\x01\x02\x00", false}, {"get /", false}, {"GE", false}, {"G T /", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := looksLikeHTTP([]byte(tc.in)); got != tc.want {
				t.Fatalf("looksLikeHTTP(%q) = %v", tc.in, got)
			}
		})
	}
}
