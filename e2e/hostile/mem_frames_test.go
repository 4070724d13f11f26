package hostile

import (
	"bufio"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// memRawUpstream answers every WebSocket upgrade itself (with ext as
// Sec-WebSocket-Extensions) and hashes what it receives until the client
// side ends; sums collects the hashes.
type memRawUpstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sums map[[32]byte]int
	n    int
	cond *sync.Cond
}

func newMemRawUpstream(t *testing.T, ext string) *memRawUpstream {
	u := &memRawUpstream{sums: map[[32]byte]int{}}
	u.cond = sync.NewCond(&u.mu)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		if ext != "" {
			head += "Sec-WebSocket-Extensions: " + ext + "\r\n"
		}
		io.WriteString(c, head+"\r\n")
		h := sha256.New()
		io.Copy(h, brw.Reader)
		var s [32]byte
		copy(s[:], h.Sum(nil))
		u.mu.Lock()
		u.sums[s]++
		u.n++
		u.cond.Broadcast()
		u.mu.Unlock()
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// waitDone waits until n connections ended and returns how many received
// exactly the bytes whose hash is want.
func (u *memRawUpstream) waitDone(t *testing.T, n int, want [32]byte) int {
	t.Helper()
	deadline := time.AfterFunc(memWait, func() { u.mu.Lock(); u.n = -1 << 30; u.cond.Broadcast(); u.mu.Unlock() })
	defer deadline.Stop()
	u.mu.Lock()
	defer u.mu.Unlock()
	for u.n >= 0 && u.n < n {
		u.cond.Wait()
	}
	if u.n < 0 {
		t.Fatalf("the upstream saw fewer than %d connections end", n)
	}
	return u.sums[want]
}

const memUpgrade = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
	"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"

// memUpgradeConn opens a WebSocket through the proxy at addr.
func memUpgradeConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, memUpgrade)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade through sioproxy: %v %v", resp, err)
	}
	return c
}

// memFrameHeader is a masked client frame header declaring n payload bytes.
func memFrameHeader(op byte, rsv1 bool, n uint64) []byte {
	b0 := 0x80 | op
	if rsv1 {
		b0 |= 0x40
	}
	h := []byte{b0, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[2:], n)
	return append(h, 0, 0, 0, 0) // mask key 0: the payload is sent as is
}

// Finding 3: 100 connections each send 6 MiB of a frame declared 16 MiB
// and never finish it. sioproxy must relay every byte unchanged, keep its
// RSS within the budget (plus the fixed overhead) while they are held,
// report the messages it does not decode, and give the memory back once
// they closed. Before the fix, the RSS reached about 100 × 6 MiB and
// stayed there.
func TestMemUnfinishedFramesManyConnections(t *testing.T) {
	const conns, sent = 100, 6 * memMiB
	const budget = 64 * memMiB
	up := newMemRawUpstream(t, "")
	p, addr := memProxy(t, true, up.srv.URL, "--json", "--mem-budget", "64MiB")
	pid := p.cmd.Process.Pid
	base := memRSS(t, pid)
	peak := memPeak(t, pid)

	payload := make([]byte, sent)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	stream := append(memFrameHeader(2, false, 16*memMiB), payload...)
	var clients []net.Conn
	for i := 0; i < conns; i++ {
		clients = append(clients, memUpgradeConn(t, addr))
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			c.Write(stream)
		}(c)
	}
	wg.Wait()
	// All sent while every frame is still unfinished: the reports come now.
	p.stdout.waitFor(t, "a report of a message skipped for the reassembly budget", regexpMust(`reassembly memory budget`))
	held := peak()

	for _, c := range clients {
		c.(*net.TCPConn).CloseWrite()
	}
	if got := up.waitDone(t, conns, sha256.Sum256(stream)); got != conns {
		t.Fatalf("%d of %d connections reached the upstream unchanged", got, conns)
	}
	for _, c := range clients {
		c.Close()
	}
	limit := int64(budget + 96*memMiB)
	t.Logf("RSS: %d MiB at start, peak %d MiB with %d unfinished frames of %d MiB (budget %d MiB)", base>>20, held>>20, conns, sent>>20, budget>>20)
	if held > limit {
		t.Fatalf("peak RSS %d MiB while %d connections hold unfinished frames: over the budget %d MiB + 96 MiB overhead", held>>20, conns, budget>>20)
	}
	// Memory is given back: RSS falls close to where it started.
	back := base + 48*memMiB
	deadline := time.Now().Add(memWait)
	for memRSS(t, pid) > back {
		if time.Now().After(deadline) {
			t.Fatalf("RSS still %d MiB after every connection closed (started at %d MiB)", memRSS(t, pid)>>20, base>>20)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.stop()
	lines := memJSONLines(t, p.stdout.all())
	skipped := 0
	for _, l := range lines {
		if e, _ := l["error"].(string); strings.Contains(e, "reassembly memory budget") {
			skipped++
		}
	}
	if skipped == 0 || skipped > conns {
		t.Fatalf("%d error lines about the reassembly budget for %d connections", skipped, conns)
	}
}

// Deflate bombs: 30 connections each send one compressed message that
// inflates to 64 MiB of zeros. The bytes reach the upstream unchanged,
// --json reports every bomb, and RSS stays within the budget.
func TestMemDeflateBombs(t *testing.T) {
	const conns = 30
	const budget = 64 * memMiB
	up := newMemRawUpstream(t, "permessage-deflate")
	p, addr := memProxy(t, true, up.srv.URL, "--json", "--mem-budget", "64MiB")
	peak := memPeak(t, p.cmd.Process.Pid)

	var comp strings.Builder
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zero := make([]byte, memMiB)
	for i := 0; i < 64; i++ {
		fw.Write(zero)
	}
	fw.Flush()
	bomb := strings.TrimSuffix(comp.String(), "\x00\x00\xff\xff")
	stream := append(memFrameHeader(1, true, uint64(len(bomb))), bomb...)

	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		c := memUpgradeConn(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write(stream)
			c.(*net.TCPConn).CloseWrite()
		}()
	}
	wg.Wait()
	if got := up.waitDone(t, conns, sha256.Sum256(stream)); got != conns {
		t.Fatalf("%d of %d bombs reached the upstream unchanged", got, conns)
	}
	p.stdout.waitFor(t, "the last connection's close", regexpMust(`"action":"close"|"kind":"http".*"status":101`))
	held := peak()
	p.stop()
	t.Logf("peak RSS %d MiB with %d deflate bombs of 64 MiB (budget %d MiB)", held>>20, conns, budget>>20)
	if held > budget+96*memMiB {
		t.Fatalf("peak RSS %d MiB: over the budget %d MiB + 96 MiB overhead", held>>20, budget>>20)
	}
	reported := 0
	for _, l := range memJSONLines(t, p.stdout.all()) {
		if e, _ := l["error"].(string); strings.Contains(e, "MaxInflate") || strings.Contains(e, "reassembly memory budget") {
			reported++
		}
	}
	if reported < conns {
		t.Fatalf("%d of %d bombs reported in --json", reported, conns)
	}
}
