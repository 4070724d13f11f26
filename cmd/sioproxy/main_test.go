package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // substring; "" means success
		check   func(t *testing.T, c config)
	}{
		{"defaults", nil, "", func(t *testing.T, c config) {
			if len(c.Targets) != 1 || c.Targets[0].String() != defaultTarget || c.Listen != "127.0.0.1:8080" ||
				c.Balance != "round-robin" || c.BodyCap != 1<<20 || c.NoTUI || c.JSON || c.Paths != nil {
				t.Fatalf("%+v", c)
			}
		}},
		{"two targets sticky", []string{"--target", "http://a:1", "--target=https://b:2/base", "--balance", "sticky"}, "", func(t *testing.T, c config) {
			if len(c.Targets) != 2 || c.Targets[1].Scheme != "https" || c.Targets[1].Path != "/base" || c.Balance != "sticky" {
				t.Fatalf("%+v", c)
			}
		}},
		{"bare host port", []string{"--target", "127.0.0.1:3000"}, "", func(t *testing.T, c config) {
			if c.Targets[0].String() != "http://127.0.0.1:3000" {
				t.Fatalf("%v", c.Targets[0])
			}
		}},
		{"json implies no tui", []string{"--json"}, "", func(t *testing.T, c config) {
			if !c.JSON || !c.NoTUI {
				t.Fatalf("%+v", c)
			}
		}},
		{"all flags", []string{"--listen", ":9000", "--path", "/chat/", "--keep-host", "--no-tui", "--upstream-ca", "ca.pem", "--body-cap", "0", "--record", "x.jsonl"}, "", func(t *testing.T, c config) {
			if c.Listen != ":9000" || len(c.Paths) != 1 || c.Paths[0] != "/chat/" || !c.KeepHost || !c.NoTUI ||
				c.UpstreamCA != "ca.pem" || c.BodyCap != 0 || c.Record != "x.jsonl" {
				t.Fatalf("%+v", c)
			}
		}},
		{"subcommand", []string{"replay", "rec.jsonl", "--speed", "2"}, "", func(t *testing.T, c config) {
			if c.Command != "replay" || strings.Join(c.Args, " ") != "rec.jsonl --speed 2" {
				t.Fatalf("%+v", c)
			}
		}},
		{"bad balance", []string{"--balance", "random"}, `--balance "random": want round-robin or sticky`, nil},
		{"bad scheme", []string{"--target", "ftp://x"}, `--target "ftp://x": scheme "ftp"`, nil},
		{"target query", []string{"--target", "http://x/?a=1"}, `--target "http://x/?a=1"`, nil},
		{"bad listen", []string{"--listen", "8080"}, `--listen "8080": want host:port`, nil},
		{"bad listen port", []string{"--listen", "x:http"}, `--listen "x:http": port "http"`, nil},
		{"bad body cap", []string{"--body-cap", "lots"}, `invalid value "lots" for flag --body-cap`, nil},
		{"negative body cap", []string{"--body-cap", "-1"}, `--body-cap -1`, nil},
		{"negative ack timeout", []string{"--ack-timeout", "-1s"}, `--ack-timeout -1s: must be 0 (off) or more`, nil},
		{"ack timeout", []string{"--ack-timeout", "2s"}, "", func(t *testing.T, c config) {
			if c.AckTimeout != 2*time.Second || sessionOptions(c).Diagnoser == nil {
				t.Errorf("AckTimeout %v", c.AckTimeout)
			}
		}},
		{"ack timeout off", []string{"--ack-timeout", "0"}, "", func(t *testing.T, c config) {
			if c.AckTimeout >= 0 {
				t.Errorf("--ack-timeout 0 should turn the rule off, AckTimeout %v", c.AckTimeout)
			}
		}},
		{"tiny view", []string{"--view", "5"}, `--view 5: want 100 to 10000000 packets`, nil},
		{"view", []string{"--view", "500"}, "", func(t *testing.T, c config) {
			if c.View != 500 {
				t.Errorf("View = %d", c.View)
			}
		}},
		{"bad path", []string{"--path", "socket.io"}, `--path "socket.io"`, nil},
		{"unknown flag", []string{"--bogus"}, `--bogus`, nil},
		{"stray argument", []string{"serve"}, `unexpected argument "serve"`, nil},
		{"ca and insecure", []string{"--upstream-ca", "a.pem", "--insecure-upstream"}, `choose one`, nil},
		{"help", []string{"--help"}, "flag: help requested", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
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

// waitListening returns the first group of re once run's stderr shows it.
// If it never does, it stops run (cancel, then wait for done) and fails.
func waitListening(t *testing.T, re *regexp.Regexp, stderr *syncBuffer, cancel func(), done <-chan int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
	}
	cancel()
	<-done
	t.Fatalf("no listening line in %q", stderr.String())
	return ""
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunBadFlagExitsTwo(t *testing.T) {
	var stderr syncBuffer
	if code := run(context.Background(), []string{"--balance", "x"}, os.Stdout, &stderr); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), `sioproxy: --balance "x"`) {
		t.Fatalf("stderr %q", stderr.String())
	}
	stderr = syncBuffer{}
	if code := run(context.Background(), []string{"ca", "--nope"}, os.Stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "ca: flag provided but not defined: --nope") {
		t.Fatalf("exit %d stderr %q", code, stderr.String())
	}
}

// A listen address in use fails at once with exit 1, naming the address
// and what to do.
func TestRunListenInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	for _, args := range [][]string{
		{"--target", "http://127.0.0.1:1", "--listen", addr, "--no-tui"},
		{"--mode", "forward", "--listen", addr, "--no-tui"},
	} {
		t.Run(args[0]+" "+args[1], func(t *testing.T) {
			var stderr syncBuffer
			code := run(context.Background(), args, os.Stdout, &stderr)
			want := "sioproxy: --listen " + addr + ": listen tcp " + addr + ": bind: address already in use (another process listens there; choose another port, or 127.0.0.1:0 for any free one)\n"
			if code != 1 || stderr.String() != want {
				t.Fatalf("exit %d, stderr %q; want 1, %q", code, stderr.String(), want)
			}
		})
	}
}

// The command relays, announces where it listens, and shuts down cleanly
// when its context ends (SIGINT in main).
func TestRunRelaysAndShutsDown(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer be.Close()
	stdout, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--target", be.URL, "--listen", "127.0.0.1:0", "--json"}, stdout, &stderr)
	}()

	re := regexp.MustCompile(`sioproxy: listening on (http://127\.0\.0\.1:\d+) → ` + regexp.QuoteMeta(be.URL) + `\n`)
	addr := waitListening(t, re, &stderr, cancel, done)
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Get(addr + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	if string(b) != "hello" {
		t.Fatalf("relayed %q", b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	// The exchange was decoded and written before run returned.
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"kind":"http"`) || !strings.Contains(string(out), `"status":200`) {
		t.Fatalf("stdout %q", out)
	}
}
