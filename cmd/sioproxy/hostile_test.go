package main

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostileFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{"defaults", nil, "", func(t *testing.T, c config) {
			if c.MemBudget.Total != 256<<20 || c.IdleTimeout != 90*time.Second || c.HeaderTimeout != 10*time.Second || c.Auth != "" {
				t.Fatalf("%+v", c.hostileFlags)
			}
		}},
		{"budget units", []string{"--mem-budget", "1GiB"}, "", func(t *testing.T, c config) {
			if c.MemBudget.Total != 1<<30 {
				t.Fatalf("budget %d", c.MemBudget.Total)
			}
		}},
		{"budget decimal", []string{"--mem-budget", "300MB"}, "", func(t *testing.T, c config) {
			if c.MemBudget.Total != 300e6 {
				t.Fatalf("budget %d", c.MemBudget.Total)
			}
		}},
		{"budget junk", []string{"--mem-budget", "lots"}, `--mem-budget "lots": want a size such as 256MiB`, nil},
		{"budget unit", []string{"--mem-budget", "3 parsecs"}, `unknown unit "parsecs"`, nil},
		{"budget tiny", []string{"--mem-budget", "1MiB"}, `--mem-budget "1MiB": below the minimum of 16 MiB`, nil},
		{"auth reverse", []string{"--auth", "a:b"}, "--auth needs --mode forward", nil},
		{"auth no password", []string{"--mode", "forward", "--auth", "alice"}, `--auth "alice:…": want user:password`, nil},
		{"auth ok", []string{"--mode", "forward", "--auth", "alice:pw:with:colons"}, "", func(t *testing.T, c config) {
			if c.Auth != "alice:pw:with:colons" {
				t.Fatalf("auth %q", c.Auth)
			}
		}},
		{"redact params", []string{"--redact", "--redact-param", "x-sig", "--redact-param", "ticket"}, "", func(t *testing.T, c config) {
			if strings.Join(c.RedactParams, ",") != "x-sig,ticket" {
				t.Fatalf("%q", c.RedactParams)
			}
		}},
		{"idle zero", []string{"--idle-timeout", "0s"}, "--idle-timeout 0s: want a positive duration", nil},
		{"header junk", []string{"--header-timeout", "soon"}, `invalid value "soon" for flag --header-timeout`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// An idle keep-alive connection is closed after the idle timeout, while a
// request that takes longer than it (a long-poll) is answered.
func TestServerTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/poll" {
			<-release // a long-poll: held until the test lets it go
		}
		io.WriteString(w, "ok")
	})
	const idle = 300 * time.Millisecond
	served, stop := startHTTP(ln, h, log.New(io.Discard, "", 0), func() error { return nil }, idle, idle)
	defer func() { stop(); <-served }()

	// Long-poll: answered although it waits longer than both timeouts.
	c := dial(t, ln.Addr().String())
	io.WriteString(c, "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
	go func() { time.Sleep(3 * idle); close(release) }()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("long-poll: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	// Then idle: the server closes the connection by itself.
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if n, err := br.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from an idle connection, want EOF", n)
	}

	// Slowloris: half a header line, never finished, is cut too.
	s := dial(t, ln.Addr().String())
	io.WriteString(s, "GET / HTTP/1.1\r\nX-Slow: ")
	s.SetReadDeadline(time.Now().Add(time.Minute))
	b, _ := io.ReadAll(s)
	if !bytes.Contains(b, []byte("408")) && len(b) != 0 {
		t.Fatalf("slow headers got %q", b)
	}
	if err := s.SetReadDeadline(time.Now().Add(time.Minute)); err == nil {
		if _, err := s.Read(make([]byte, 1)); err == nil {
			t.Fatal("slow-header connection still open")
		}
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWarnExposed(t *testing.T) {
	for _, tc := range []struct {
		name          string
		addr          string
		forward, auth bool
		want          string
	}{
		{"loopback", "127.0.0.1:1", true, false, ""},
		{"loopback v6", "[::1]:1", true, false, ""},
		{"forward open", "0.0.0.0:1", true, false, "OPEN PROXY"},
		{"forward auth", "0.0.0.0:1", true, true, "password required"},
		{"reverse", "192.0.2.1:1", false, false, "reachable from other machines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := net.ResolveTCPAddr("tcp", tc.addr)
			var b bytes.Buffer
			warnExposed(&b, a, tc.forward, tc.auth)
			if tc.want == "" && b.Len() > 0 || !strings.Contains(b.String(), tc.want) {
				t.Fatalf("warning %q, want %q", b.String(), tc.want)
			}
		})
	}
}
