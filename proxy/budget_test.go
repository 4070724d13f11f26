package proxy

import (
	"bufio"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Many connections each hold an unfinished large frame: together they
// cannot reserve more than the reassembly budget, the ones that do not fit
// are reported at once, every byte still reaches the upstream unchanged,
// and the budget is whole again once they closed.
func TestWebSocketReassemblyBudget(t *testing.T) {
	const conns, partial = 12, 300 << 10
	pool := membudget.NewPool(1 << 20)
	pool.ReclaimAfter = -1
	var mu sync.Mutex
	gotSums := map[[32]byte]int{}
	up := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		h := sha256.New()
		io.Copy(h, br) // until the client's side closes
		var s [32]byte
		copy(s[:], h.Sum(nil))
		mu.Lock()
		gotSums[s]++
		mu.Unlock()
	})
	h := newHarness(t, Options{WSBudget: pool}, up.URL)

	frame := ws.AppendFrame(nil, ws.OpBinary, true, false, &[4]byte{1, 2, 3, 4}, make([]byte, 16<<20))[:partial]
	var clients []net.Conn
	for i := 0; i < conns; i++ {
		c := dialRaw(t, h)
		io.WriteString(c, rawUpgrade)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 101 {
			t.Fatalf("upgrade %d: %v %v", i, resp, err)
		}
		if _, err := c.Write(frame); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// Reports: the connections beyond the budget say so while their frame
	// is still unfinished.
	reported := 0
	for reported < conns-(1<<20)/(partial) {
		o := h.next(t, obs.KindWSMsg)
		if strings.Contains(o.WSMsg.Err, "reassembly memory budget") {
			reported++
		}
	}
	if pool.Used() > pool.Max() {
		t.Fatalf("pool used %d over %d", pool.Used(), pool.Max())
	}
	for _, c := range clients {
		c.(*net.TCPConn).CloseWrite()
	}
	for i := 0; i < conns; i++ {
		h.next(t, obs.KindWSClose)
	}
	if pool.Used() != 0 {
		t.Fatalf("%d bytes of the budget still held after every connection closed", pool.Used())
	}
	want := sha256.Sum256(frame)
	mu.Lock()
	defer mu.Unlock()
	if gotSums[want] != conns {
		t.Fatalf("%d of %d upstream connections got the bytes unchanged", gotSums[want], conns)
	}
}

// Bodies in flight draw on the same pool: a request that claims a large
// Content-Length and sends it slowly cannot make the proxy reserve more
// than the pool, the body is still relayed whole, and the reservation is
// given back when the exchange ends.
func TestBodyCaptureBudget(t *testing.T) {
	pool := membudget.NewPool(64 << 10)
	pool.ReclaimAfter = -1
	got := make(chan int, 1)
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got <- int(n)
		io.WriteString(w, "ok")
	}))
	h := newHarness(t, Options{WSBudget: pool}, be.URL)
	body := strings.Repeat("x", 300<<10)
	resp, err := testClient(t).Post(h.url+"/socket.io/?EIO=4&transport=polling&sid=a", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := <-got; n != len(body) {
		t.Fatalf("upstream got %d bytes, want %d", n, len(body))
	}
	x := h.next(t, obs.KindHTTP).HTTP
	if !x.ReqTrunc || len(x.ReqBody) > 64<<10 || x.ReqLen != int64(len(body)) {
		t.Fatalf("captured %d of %d bytes, truncated %v", len(x.ReqBody), x.ReqLen, x.ReqTrunc)
	}
	if pool.Used() != 0 {
		t.Fatalf("%d bytes still reserved after the exchange", pool.Used())
	}
}
