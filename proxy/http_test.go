package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestHTTPBytesUnchanged(t *testing.T) {
	gz := gzipped(t, strings.Repeat("42[\"chat\",\"hello\"]\x1e", 200))
	tests := []struct {
		name      string
		method    string
		reqBody   string
		reqHeader map[string]string
		handler   func(w http.ResponseWriter, r *http.Request)
		wantBody  []byte
		wantHdr   map[string]string // response headers the client must see
	}{
		{
			name:   "poll with content length",
			method: "GET",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
				io.WriteString(w, `0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
			},
			wantBody: []byte(`0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
		},
		{
			name:      "gzip body stays encoded and Accept-Encoding is untouched",
			method:    "GET",
			reqHeader: map[string]string{"Accept-Encoding": "gzip, deflate, br"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Accept-Encoding"); got != "gzip, deflate, br" {
					http.Error(w, "Accept-Encoding changed to "+got, 500)
					return
				}
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Length", strconv.Itoa(len(gz)))
				w.Write(gz)
			},
			wantBody: gz,
			wantHdr:  map[string]string{"Content-Encoding": "gzip", "Content-Length": strconv.Itoa(len(gz))},
		},
		{
			name:   "chunked streaming",
			method: "GET",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for i := range 5 {
					io.WriteString(w, strings.Repeat(strconv.Itoa(i), 1000))
					w.(http.Flusher).Flush()
				}
			},
			wantBody: []byte(strings.Repeat("0", 1000) + strings.Repeat("1", 1000) + strings.Repeat("2", 1000) + strings.Repeat("3", 1000) + strings.Repeat("4", 1000)),
		},
		{
			name:    "post body with binary bytes",
			method:  "POST",
			reqBody: "\x00\x01\xff4hello\x1e4\xf0\x9f\x98\x80",
			handler: func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.Write(b)
			},
			wantBody: []byte("\x00\x01\xff4hello\x1e4\xf0\x9f\x98\x80"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := backend(t, http.HandlerFunc(tc.handler))
			h := newHarness(t, Options{}, be.URL)
			var body io.Reader
			if tc.reqBody != "" {
				body = strings.NewReader(tc.reqBody)
			}
			req, _ := http.NewRequest(tc.method, h.url+"/socket.io/?EIO=4&transport=polling", body)
			for k, v := range tc.reqHeader {
				req.Header.Set(k, v)
			}
			resp, err := testClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !bytes.Equal(got, tc.wantBody) {
				t.Fatalf("status %d body %q, want 200 %q", resp.StatusCode, got, tc.wantBody)
			}
			for k, v := range tc.wantHdr {
				if resp.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, resp.Header.Get(k), v)
				}
			}
			o := h.next(t, obs.KindHTTP).HTTP
			if !bytes.Equal(o.RespBody, tc.wantBody) || o.RespLen != int64(len(tc.wantBody)) || o.RespTrunc {
				t.Errorf("observed resp body %q len %d trunc %v", o.RespBody, o.RespLen, o.RespTrunc)
			}
			if string(o.ReqBody) != tc.reqBody || o.ReqLen != int64(len(tc.reqBody)) {
				t.Errorf("observed req body %q len %d, want %q", o.ReqBody, o.ReqLen, tc.reqBody)
			}
			if o.Method != tc.method || o.URL != "/socket.io/?EIO=4&transport=polling" || o.Status != 200 || o.Err != "" {
				t.Errorf("observed %s %s %d err %q", o.Method, o.URL, o.Status, o.Err)
			}
			if o.Upstream != be.URL || o.Client == "" || o.End.Before(o.Start) {
				t.Errorf("observed upstream %q client %q start %v end %v", o.Upstream, o.Client, o.Start, o.End)
			}
		})
	}
}

func TestBodyCapTruncates(t *testing.T) {
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	}))
	h := newHarness(t, Options{BodyCap: 10}, be.URL)
	resp, err := testClient(t).Post(h.url+"/x", "text/plain", strings.NewReader(strings.Repeat("a", 100)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 100 {
		t.Fatalf("relayed %d bytes, want 100", len(b))
	}
	o := h.next(t, obs.KindHTTP).HTTP
	if len(o.ReqBody) != 10 || o.ReqLen != 100 || !o.ReqTrunc || len(o.RespBody) != 10 || o.RespLen != 100 || !o.RespTrunc {
		t.Fatalf("req %d/%d %v resp %d/%d %v", len(o.ReqBody), o.ReqLen, o.ReqTrunc, len(o.RespBody), o.RespLen, o.RespTrunc)
	}
}

// A long-poll answer must reach the client as the upstream writes it: the
// test reads the first part while the upstream is still holding the rest.
func TestLongPollNotBuffered(t *testing.T) {
	release := make(chan struct{})
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "second")
	}))
	h := newHarness(t, Options{}, be.URL)
	req, _ := http.NewRequestWithContext(withTimeout(t), "GET", h.url+"/socket.io/?EIO=4&transport=polling&sid=x", nil)
	resp, err := testClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString(';')
	if err != nil || first != "first;" {
		t.Fatalf("read %q, %v before the upstream finished", first, err)
	}
	close(release)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	if o := h.next(t, obs.KindHTTP).HTTP; string(o.RespBody) != "first;second" {
		t.Fatalf("observed %q", o.RespBody)
	}
}

func TestUpstreamUnreachable(t *testing.T) {
	addr := refusedAddr(t)
	h := newHarness(t, Options{}, "http://"+addr)
	resp, err := testClient(t).Get(h.url + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "sioproxy: upstream http://" + addr + " unreachable: dial tcp " + addr + ": connect: connection refused\n"
	if resp.StatusCode != http.StatusBadGateway || string(b) != want {
		t.Fatalf("got %d %q\nwant 502 %q", resp.StatusCode, b, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	o := h.next(t, obs.KindHTTP).HTTP
	if o.ErrKind != "dial" || !strings.Contains(o.Err, "connection refused") || o.Status != 0 {
		t.Fatalf("observed kind %q err %q status %d", o.ErrKind, o.Err, o.Status)
	}
}

// The client leaves while the upstream holds the poll (before any answer)
// or in the middle of its body: the upstream request is cancelled and the
// exchange is reported as client_gone.
func TestClientGoneMidPoll(t *testing.T) {
	for _, midBody := range []bool{false, true} {
		t.Run("midBody="+strconv.FormatBool(midBody), func(t *testing.T) {
			upstreamDone := make(chan error, 1)
			arrived := make(chan struct{})
			be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if midBody {
					w.Header().Set("Content-Length", "100")
					io.WriteString(w, "part")
					w.(http.Flusher).Flush()
				}
				close(arrived)
				<-r.Context().Done()
				upstreamDone <- r.Context().Err()
			}))
			h := newHarness(t, Options{}, be.URL)
			ctx, cancel := context.WithCancel(withTimeout(t))
			req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/socket.io/?EIO=4&transport=polling&sid=a", nil)
			errc := make(chan error, 1)
			gotPart := make(chan struct{})
			c := testClient(t)
			go func() {
				resp, err := c.Do(req)
				if err == nil {
					part := make([]byte, 4)
					if _, err = io.ReadFull(resp.Body, part); err == nil {
						close(gotPart)
						_, err = io.ReadAll(resp.Body)
					}
					resp.Body.Close()
				}
				errc <- err
			}()
			<-arrived
			if midBody {
				<-gotPart // the answer's head and first bytes went through
			}
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("client err %v", err)
			}
			if err := <-upstreamDone; err == nil {
				t.Fatal("upstream request not cancelled")
			}
			o := h.next(t, obs.KindHTTP).HTTP
			if o.ErrKind != "client_gone" {
				t.Fatalf("ErrKind %q (err %q), want client_gone", o.ErrKind, o.Err)
			}
			if midBody && (o.Status != 200 || string(o.RespBody) != "part") {
				t.Fatalf("observed status %d body %q", o.Status, o.RespBody)
			}
		})
	}
}

// A sink that is never drained fills up; traffic is unaffected and the
// queue counts what it dropped.
func TestFullSinkDoesNotBlock(t *testing.T) {
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	full := bus.NewQueue[obs.Obs](1)
	h := newHarness(t, Options{Sinks: []*bus.Queue[obs.Obs]{full}}, be.URL)
	c := testClient(t)
	const n = 20
	for i := range n {
		resp, err := c.Get(h.url + "/socket.io/?EIO=4&transport=polling&i=" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("request %d: %q", i, b)
		}
	}
	// Each exchange is two observations (http.start, then http when the
	// body ends, possibly just after the client saw EOF): one was queued,
	// the rest dropped.
	if full.Len() != 1 {
		t.Fatalf("queue holds %d", full.Len())
	}
	waitFor(t, func() bool { return full.Dropped() == 2*n-1 && h.p.Stats().Exchanges == n })
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	ctx := withTimeout(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition never met")
		case <-time.After(time.Millisecond):
		}
	}
}

// named upstreams for balancing tests: each answers its name, and the
// handshake path answers an open packet with a fresh sid.
func namedBackend(t testing.TB, name string) *httptest.Server {
	return backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", name)
		if r.URL.Path == "/socket.io/" && r.URL.Query().Get("sid") == "" {
			io.WriteString(w, `0{"sid":"`+name+`-sid","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`)
			return
		}
		io.WriteString(w, name)
	}))
}

func TestBalance(t *testing.T) {
	get := func(t *testing.T, c *http.Client, u string, cookie *http.Cookie) (string, *http.Response) {
		req, _ := http.NewRequest("GET", u, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("X-Backend"), resp
	}
	t.Run("round-robin", func(t *testing.T) {
		a, b := namedBackend(t, "a"), namedBackend(t, "b")
		h := newHarness(t, Options{Balance: RoundRobin}, a.URL, b.URL)
		c := testClient(t)
		var got []string
		for range 4 {
			name, _ := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling&sid=a-sid", nil)
			got = append(got, name)
		}
		if strings.Join(got, ",") != "a,b,a,b" {
			t.Fatalf("round robin went %v", got)
		}
	})
	// The balancer reads the sid from the handshake answer whatever the
	// body cap, while observations keep only what the cap allows.
	for _, bc := range []struct {
		name    string
		cap     int
		keptLen int
	}{{"sticky by sid", 0, 71}, {"sticky by sid, no bodies kept", -1, 0}, {"sticky by sid, 16 bytes kept", 16, 16}} {
		t.Run(bc.name, func(t *testing.T) { stickyBySid(t, get, bc.cap, bc.keptLen) })
	}
	t.Run("sticky by cookie", func(t *testing.T) {
		a, b := namedBackend(t, "a"), namedBackend(t, "b")
		h := newHarness(t, Options{Balance: Sticky}, a.URL, b.URL)
		c := testClient(t)
		_, r1 := get(t, c, h.url+"/app.js", nil)
		var pin *http.Cookie
		for _, ck := range r1.Cookies() {
			if ck.Name == StickyCookie {
				pin = ck
			}
		}
		if pin == nil {
			t.Fatal("no sticky cookie")
		}
		want := r1.Header.Get("X-Backend")
		for range 3 {
			if got, _ := get(t, c, h.url+"/app.js", pin); got != want {
				t.Fatalf("cookie %s=%s went to %s, want %s", pin.Name, pin.Value, got, want)
			}
		}
	})
}

func stickyBySid(t *testing.T, get func(*testing.T, *http.Client, string, *http.Cookie) (string, *http.Response), bodyCap, keptLen int) {
	a, b := namedBackend(t, "a"), namedBackend(t, "b")
	h := newHarness(t, Options{Balance: Sticky, BodyCap: bodyCap}, a.URL, b.URL)
	c := testClient(t)
	// Two handshakes land on different upstreams (round robin for new
	// clients); every later request of a session follows its sid.
	first, r1 := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling", nil)
	second, _ := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling", nil)
	if first == second {
		t.Fatalf("both handshakes went to %s", first)
	}
	if sc := r1.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, StickyCookie+"=") {
		t.Fatalf("Set-Cookie %q", sc)
	}
	for range 2 {
		ex := h.next(t, obs.KindHTTP).HTTP
		if len(ex.RespBody) != keptLen || ex.RespLen != 71 || ex.RespTrunc != (keptLen < 71) {
			t.Fatalf("observed body %q of %d, truncated %v; want %d bytes kept", ex.RespBody, ex.RespLen, ex.RespTrunc, keptLen)
		}
	}
	for _, sid := range []string{second + "-sid", first + "-sid", second + "-sid", second + "-sid"} {
		got, resp := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling&sid="+sid, nil)
		if got+"-sid" != sid {
			t.Fatalf("sid %s went to %s", sid, got)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Fatal("pinned request got a new cookie")
		}
	}
}

func TestSniffSid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		sid  string
		more bool
	}{
		{"v4", `0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"]}`, "lv_VI97HAXpY6yYWAAAC", false},
		{"v3 text", `97:0{"sid":"abc","upgrades":[],"pingInterval":25000}2:40`, "abc", false},
		{"v3 binary", "\x00\x09\x07\xff0{\"sid\":\"bin\"}", "bin", false},
		{"prefix", `0{"si`, "", true},
		{"empty", ``, "", true},
		{"not open", `40{"sid":"x"}`, "", false},
		{"error json", `{"code":1,"message":"Session ID unknown"}`, "", false},
		{"v3 bad sep", `97;0{"sid":"a"}`, "", false},
		{"unterminated", `0{"sid":"abc`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sid, more := sniffSid([]byte(tc.in))
			if sid != tc.sid || more != tc.more {
				t.Fatalf("sniffSid(%q) = %q,%v want %q,%v", tc.in, sid, more, tc.sid, tc.more)
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no target", Options{}, "no target"},
		{"bad scheme", Options{Targets: []*url.URL{u("ftp://x")}}, `target 0 "ftp://x"`},
		{"bad balance", Options{Targets: []*url.URL{u("http://x")}, Balance: "random"}, `balance "random"`},
		{"bad path", Options{Targets: []*url.URL{u("http://x")}, Paths: []string{"socket.io"}}, `path "socket.io"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Interface guard for the test's raw connections.
var _ net.Conn = (*recordingConn)(nil)

func TestForwardedHeadersAndHost(t *testing.T) {
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host+"|"+r.Header.Get("X-Forwarded-Host")+"|"+r.Header.Get("X-Forwarded-Proto")+"|"+r.Header.Get("X-Forwarded-For"))
	}))
	beHost := strings.TrimPrefix(be.URL, "http://")
	for _, keep := range []bool{false, true} {
		t.Run("keepHost="+strconv.FormatBool(keep), func(t *testing.T) {
			h := newHarness(t, Options{KeepHost: keep}, be.URL)
			req, _ := http.NewRequest("GET", h.url+"/", nil)
			req.Host = "app.example:8080"
			req.Header.Set("X-Forwarded-For", "6.6.6.6") // a client may not forge it
			resp, err := testClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantHost := beHost
			if keep {
				wantHost = "app.example:8080"
			}
			if want := wantHost + "|app.example:8080|http|127.0.0.1"; string(b) != want {
				t.Fatalf("upstream saw %q, want %q", b, want)
			}
		})
	}
}

// A POST's request half is observed before the upstream answers, so the
// decoder can show its packets before a long-poll returns their ack.
func TestRequestObservedBeforeResponse(t *testing.T) {
	release := make(chan struct{})
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		<-release
		io.WriteString(w, "ok")
	}))
	h := newHarness(t, Options{}, be.URL)
	c := testClient(t)
	done := make(chan error, 1)
	go func() {
		resp, err := c.Post(h.url+"/socket.io/?EIO=4&transport=polling&sid=abc", "text/plain;charset=UTF-8", strings.NewReader(`42["hello"]`))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	start := h.next(t, obs.KindHTTPStart).HTTP
	if string(start.ReqBody) != `42["hello"]` || start.Method != "POST" || start.Status != 0 {
		t.Fatalf("http.start = %+v", start)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fin := h.next(t, obs.KindHTTP).HTTP; fin.ID != start.ID || fin.Status != 200 {
		t.Fatalf("final exchange id %d status %d, want id %d status 200", fin.ID, fin.Status, start.ID)
	}
}
