package hostile

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Gzip bombs: polling answers whose gzip body inflates to 256 MiB. The
// client gets the encoded bytes unchanged, --json stays valid and reports
// the bomb, and RSS stays within the budget.
func TestMemGzipBombs(t *testing.T) {
	const requests = 40
	const budget = 64 * memMiB
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	io.WriteString(zw, `0{"sid":"bomb","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	zero := make([]byte, memMiB)
	for i := 0; i < 64; i++ {
		zw.Write(zero)
	}
	zw.Close()
	body := gz.Bytes()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body)
	}))
	t.Cleanup(up.Close)
	p, addr := memProxy(t, true, up.URL, "--json", "--mem-budget", "64MiB")
	peak := memPeak(t, p.cmd.Process.Pid)

	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	want := sha256.Sum256(body)
	var wg sync.WaitGroup
	var mu sync.Mutex
	same := 0
	for i := 0; i < requests; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := tr.RoundTrip(mustReq(t, "http://"+addr+"/socket.io/?EIO=4&transport=polling"))
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if sha256.Sum256(b) == want {
				mu.Lock()
				same++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if same != requests {
		t.Fatalf("%d of %d gzip answers reached the client unchanged", same, requests)
	}
	p.stdout.waitFor(t, "a report of the bomb", regexpMust(`"kind":"error".*cap`))
	held := peak()
	p.stop()
	t.Logf("peak RSS %d MiB with %d gzip bombs of 64 MiB (budget %d MiB)", held>>20, requests, budget>>20)
	if held > budget+96*memMiB {
		t.Fatalf("peak RSS %d MiB: over the budget %d MiB + 96 MiB overhead", held>>20, budget>>20)
	}
	memJSONLines(t, p.stdout.all())
}

func mustReq(t *testing.T, url string) *http.Request {
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Finding 10: slowloris clients (headers never finished) and idle
// keep-alive clients are closed by the server's timeouts, here set short
// with --header-timeout and --idle-timeout; a polling client whose
// long-polls last longer than both still works, and RSS stays bounded.
func TestMemSlowlorisAndIdle(t *testing.T) {
	const slow, idle = 300, 300
	srv := memSioServer(t, map[string]any{"pingInterval": 3000, "pingTimeout": 2000})
	p, addr := memProxy(t, false, srv, "--json", "--header-timeout", "1s", "--idle-timeout", "1s")
	peak := memPeak(t, p.cmd.Process.Pid)

	closed := make(chan string, slow+idle)
	watch := func(c net.Conn, what string) {
		c.SetReadDeadline(time.Now().Add(memWait))
		io.Copy(io.Discard, c) // returns when the server closes the connection
		if ne, ok := c.(*net.TCPConn); ok {
			ne.Close()
		}
		closed <- what
	}
	for i := 0; i < slow; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		go watch(c, "slow")
	}
	for i := 0; i < idle; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		go watch(c, "idle")
	}
	// Meanwhile a real client on long-polling only: its polls wait for the
	// server's pings (3 s), longer than both timeouts.
	out := memNode(t, `
const { io } = require('socket.io-client');
const s = io(process.env.URL, { transports: ['polling'], reconnection: false });
setTimeout(() => { console.error('no two pings and an echo within 60 s'); process.exit(1); }, 60000).unref();
let pings = 0;
s.on('connect', () => s.io.engine.on('ping', async () => {
  if (++pings < 2) return;
  const r = await s.timeout(20000).emitWithAck('echo', 'still here');
  console.log(JSON.stringify(r));
  s.close();
}));
s.on('disconnect', (why) => { if (why !== 'io client disconnect') { console.error('disconnected:', why); process.exit(1); } });
s.on('connect_error', (e) => { console.error(e.message); process.exit(1); });
`, "URL=http://"+addr)
	if !strings.Contains(out, `"event":"echo"`) {
		t.Fatalf("polling client through short server timeouts: %q", out)
	}
	counts := map[string]int{}
	for i := 0; i < slow+idle; i++ {
		select {
		case what := <-closed:
			counts[what]++
		case <-time.After(memWait):
			t.Fatalf("only %v of %d slow and %d idle connections were closed by sioproxy", counts, slow, idle)
		}
	}
	held := peak()
	t.Logf("peak RSS %d MiB with %d slowloris and %d idle connections", held>>20, slow, idle)
	if held > 256*memMiB+96*memMiB {
		t.Fatalf("peak RSS %d MiB over the default budget + overhead", held>>20)
	}
}
