package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

func injectRules(t testing.TB, specs ...string) *inject.Set {
	t.Helper()
	var rs []inject.Rule
	for _, s := range specs {
		r, err := inject.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return inject.NewSet(rs)
}

// seen is an upstream that records what reached it.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (s *seen) handler(status int, hdr http.Header, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(r.Context()))
		s.mu.Unlock()
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func get(t *testing.T, c *http.Client, u string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestInjectFailPolls(t *testing.T) {
	var up seen
	srv := backend(t, up.handler(200, nil, "ok"))
	h := newHarness(t, Options{Inject: injectRules(t, "fail-polls=400:1/2")}, srv.URL)
	c := testClient(t)
	poll := h.url + "/socket.io/?EIO=4&transport=polling&sid=S1"
	if resp, _ := get(t, c, poll, nil); resp.StatusCode != 200 {
		t.Fatalf("first poll: %d, want it relayed", resp.StatusCode)
	}
	resp, body := get(t, c, poll, nil)
	if resp.StatusCode != 400 || body != `{"code":1,"message":"Session ID unknown"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("second poll: %d %q %q, want engine.io's 400 code 1", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if up.count() != 1 {
		t.Errorf("the upstream got %d requests, want 1 (the failed one is not forwarded)", up.count())
	}
	// The handshake (no sid) is never failed.
	if resp, _ := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling", nil); resp.StatusCode != 200 {
		t.Errorf("handshake: %d", resp.StatusCode)
	}
	in := h.next(t, obs.KindInject).Inject
	if in.Rule != "fail-polls=400:1/2" || in.Action != "failed" || !strings.Contains(in.URL, "sid=S1") {
		t.Errorf("inject observation %+v", in)
	}
	// The exchange is observed as the client saw it, from the intended upstream.
	for {
		o := h.next(t, obs.KindHTTP)
		if o.HTTP.Status == 400 {
			if o.HTTP.Upstream != srv.URL || string(o.HTTP.RespBody) != body {
				t.Errorf("observed %q %d %q", o.HTTP.Upstream, o.HTTP.Status, o.HTTP.RespBody)
			}
			break
		}
	}
}

func TestInjectStripCORS(t *testing.T) {
	var up seen
	srv := backend(t, up.handler(200, http.Header{"Access-Control-Allow-Origin": {"http://app.example"}, "Access-Control-Allow-Credentials": {"true"}, "X-Kept": {"1"}}, "ok"))
	h := newHarness(t, Options{Inject: injectRules(t, "strip-cors")}, srv.URL)
	resp, _ := get(t, testClient(t), h.url+"/socket.io/?EIO=4&transport=polling", http.Header{"Origin": {"http://app.example"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" || resp.Header.Get("X-Kept") != "1" {
		t.Fatalf("answer headers %v: want Access-Control-* gone, others kept", resp.Header)
	}
	h.next(t, obs.KindInject)
	if o := h.next(t, obs.KindHTTP); o.HTTP.RespHeader.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the observation still shows ACAO: %v", o.HTTP.RespHeader)
	}
}

func TestInjectNoUpgradeForwardsStripped(t *testing.T) {
	var up seen
	srv := backend(t, up.handler(400, http.Header{"Content-Type": {"application/json"}}, `{"code":3,"message":"Bad request"}`))
	h := newHarness(t, Options{Inject: injectRules(t, "no-upgrade")}, srv.URL)
	resp, body := get(t, testClient(t), h.url+"/socket.io/?EIO=4&transport=websocket&sid=S1", http.Header{
		"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-Websocket-Version": {"13"},
	})
	if resp.StatusCode != 400 || !strings.Contains(body, `"code":3`) {
		t.Fatalf("answer %d %q, want the server's 400 code 3", resp.StatusCode, body)
	}
	if up.count() != 1 {
		t.Fatalf("upstream got %d requests", up.count())
	}
	if r := up.reqs[0]; r.Header.Get("Upgrade") != "" || strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
		t.Errorf("the upstream still got Upgrade %q, Connection %q", r.Header.Get("Upgrade"), r.Header.Get("Connection"))
	}
	if in := h.next(t, obs.KindInject).Inject; in.Action != "stripped" {
		t.Errorf("inject %+v", in)
	}
	if o := h.next(t, obs.KindHTTP); o.HTTP.ReqHeader.Get("Upgrade") != "websocket" {
		t.Errorf("the observation should keep what the client sent: %v", o.HTTP.ReqHeader)
	}
}

func TestInjectOversizePolling(t *testing.T) {
	var up seen
	srv := backend(t, up.handler(200, nil, "ok"))
	h := newHarness(t, Options{Inject: injectRules(t, "oversize=100")}, srv.URL)
	c := testClient(t)
	post := func(n int) int {
		resp, err := c.Post(h.url+"/socket.io/?EIO=4&transport=polling&sid=S1", "text/plain", bytes.NewReader(bytes.Repeat([]byte("x"), n)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(100); st != 200 {
		t.Errorf("100 bytes: %d, want relayed", st)
	}
	if st := post(101); st != 413 {
		t.Errorf("101 bytes: %d, want 413", st)
	}
	if up.count() != 1 {
		t.Errorf("upstream got %d requests, want 1", up.count())
	}
}

func TestInjectRerouteSid(t *testing.T) {
	var a, b seen
	sa := backend(t, a.handler(200, http.Header{"Content-Type": {"text/plain"}}, `0{"sid":"AAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
	sb := backend(t, b.handler(400, http.Header{"Content-Type": {"application/json"}}, `{"code":1,"message":"Session ID unknown"}`))
	h := newHarness(t, Options{Inject: injectRules(t, "reroute-sid"), Balance: Sticky}, sa.URL, sb.URL)
	c := testClient(t)
	// The handshake lands on one node (round-robin, first is a)...
	if resp, _ := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling", nil); resp.StatusCode != 200 {
		t.Fatalf("handshake %d", resp.StatusCode)
	}
	// ...and the session's next request on the other.
	resp, body := get(t, c, h.url+"/socket.io/?EIO=4&transport=polling&sid=AAAA", nil)
	if resp.StatusCode != 400 || b.count() != 1 || a.count() != 1 {
		t.Fatalf("rerouted poll: %d %q; a got %d, b got %d", resp.StatusCode, body, a.count(), b.count())
	}
	if in := h.next(t, obs.KindInject).Inject; in.Action != "rerouted" || !strings.Contains(in.Detail, sb.URL) {
		t.Errorf("inject %+v", in)
	}
}

// A polling request with no Set, a Set with every rule off (the default
// run: rules wait in the UI's menu), and a WebSocket-only rule on (polling
// then passes serveInjected's checks).
func BenchmarkInjectPollingOff(b *testing.B) {
	for _, tc := range []struct {
		name string
		set  *inject.Set
	}{{"nil", nil}, {"all-off", inject.NewSet(nil)}, {"websocket-rule-on", injectRules(b, "cut-ws=1h")}} {
		b.Run(tc.name, func(b *testing.B) {
			sink := drainedSink(b)
			u, _ := url.Parse("http://upstream.invalid")
			p, err := New(Options{Targets: []*url.URL{u}, Sinks: []*bus.Queue[obs.Obs]{sink}, Inject: tc.set,
				Transport: &fixedTransport{body: []byte("6"), hdr: http.Header{"Content-Type": {"text/plain"}}}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling&sid=x", nil)
				w := httptest.NewRecorder()
				p.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
