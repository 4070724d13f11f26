package proxy

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// pollUpstream is a minimal Engine.IO polling server: POST bodies are
// recorded and answered "ok"; a GET waits for release and answers noop.
type pollUpstream struct {
	mu      sync.Mutex
	posts   []string
	release chan struct{}
}

func (u *pollUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.posts = append(u.posts, string(b))
		u.mu.Unlock()
		io.WriteString(w, "ok")
		return
	}
	select {
	case <-u.release:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	io.WriteString(w, "6")
}

func (u *pollUpstream) got() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.posts...)
}

type dropSecret struct{}

func (dropSecret) Name() string { return "drop-secret" }
func (dropSecret) OnMessage(c *active.Conn, m *active.Message) {
	if m.SIO != nil && m.SIO.EventName() == "secret" {
		m.Drop("drop-secret")
	}
}

type refusePosts struct{}

func (refusePosts) Name() string { return "refuse-posts" }
func (refusePosts) OnRequest(x *active.Exchange) {
	if x.Dir == decode.C2S {
		x.Respond(400, nil, []byte(`{"code":3,"message":"Bad request"}`), "refuse-posts")
	}
}
func (refusePosts) OnResponse(x *active.Exchange) {}

func TestActivePolling(t *testing.T) {
	up := &pollUpstream{release: make(chan struct{})}
	back := backend(t, up)
	e := active.New(active.Options{})
	if _, err := e.Register(dropSecret{}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Active: e}, back.URL)
	c := testClient(t)
	url := h.url + "/socket.io/?EIO=4&transport=polling&sid=s1"
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := c.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get := func() string {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if st, b := post("42[\"secret\",1]\x1e42[\"keep\",2]"); st != 200 || b != "ok" {
		t.Fatalf("post %d %q", st, b)
	}
	if got := up.got(); len(got) != 1 || got[0] != `42["keep",2]` {
		t.Fatalf("upstream got %q", got)
	}
	// Injected as the server: answers the client's GET at once, while the
	// upstream GET sioproxy holds is still waiting.
	done := make(chan string)
	go func() { done <- get() }()
	if _, _, err := e.Inject("s1", active.Injection{As: decode.S2C, Event: "hi"}); err != nil {
		t.Fatal(err)
	}
	if b := <-done; b != `42["hi"]` {
		t.Fatalf("GET answered %q", b)
	}
	close(up.release)
	if b := get(); b != "6" {
		t.Fatalf("next GET answered %q, want the upstream's noop", b)
	}
	// Injected as the client with no POST in flight: sioproxy posts.
	if _, _, err := e.Inject("s1", active.Injection{As: decode.C2S, Event: "from-proxy"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000 && len(up.got()) < 2; i++ {
		get() // any request lets time pass without sleeping a fixed time
	}
	if got := up.got(); len(got) != 2 || got[1] != `42["from-proxy"]` {
		t.Fatalf("upstream got %q", got)
	}
	// An exchange hook answers POSTs itself.
	if _, err := e.Register(refusePosts{}); err != nil {
		t.Fatal(err)
	}
	if st, b := post(`42["x"]`); st != 400 || !strings.Contains(b, "Bad request") {
		t.Fatalf("refused post %d %q", st, b)
	}
	if n := len(up.got()); n != 2 {
		t.Fatalf("upstream saw %d posts, want 2", n)
	}
}
