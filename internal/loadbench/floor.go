package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// serveFloor is the floor mode's proxy: net/http's Server in front of an
// httputil.ReverseProxy, configured as sioproxy's proxy is but decoding
// nothing, so its cost is what the mandated stack costs by itself. It runs
// in a child process (loadbench -serve-floor TARGET) so that procs.go
// measures its CPU and RSS exactly as it measures sioproxy's and nginx's.
// It serves until killed.
func serveFloor(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("-serve-floor %q: want an http://host:port URL (%v)", target, err)
	}
	// The floor gets every setting sioproxy gives the same stack (see
	// cmd/sioproxy/perf.go and proxy/options.go), so that the difference
	// between the two rows is decoding, not tuning.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(1 << 30)
	runtime.GOMAXPROCS(max(1, (runtime.GOMAXPROCS(0)+1)/2))
	t := http.DefaultTransport.(*http.Transport).Clone()
	// 20 polling clients keep up to 40 requests in flight; the default two
	// idle connections per host would close and reopen upstream
	// connections on every request and measure dialing, not proxying.
	t.MaxIdleConnsPerHost = 256
	t.MaxIdleConns = 1024
	t.DisableCompression = true
	t.ForceAttemptHTTP2 = false
	t.Proxy = nil
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.SetXForwarded()
		},
		Transport:     t,
		FlushInterval: time.Millisecond,
		BufferPool:    floorBufs{},
		ErrorLog:      log.New(os.Stderr, "floor: ", 0),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("floor proxy: listen: %w", err)
	}
	fmt.Fprintf(os.Stderr, "floor proxy listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: rp, ErrorLog: rp.ErrorLog}
	return fmt.Errorf("floor proxy: serve: %w", srv.Serve(ln))
}

// startFloor re-executes this binary with -serve-floor.
func startFloor(target string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding loadbench's own binary to run the floor proxy: %w", err)
	}
	return startListening("floor proxy", exec.Command(self, "-serve-floor", target))
}

// startListening starts cmd and waits for the "listening on URL" line that
// sioproxy and the floor proxy print on stderr.
func startListening(name string, cmd *exec.Cmd) (*proc, error) {
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := start(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	sc := bufio.NewScanner(errPipe)
	var said []string
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			go drain(sc)
			return &proc{cmd: cmd, url: m[1]}, nil
		}
		if len(said) < 20 {
			said = append(said, sc.Text())
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("%s did not print its listen address; its stderr: %q", name, said)
}

// drain reads a child's stderr to the end so the child never blocks
// writing to it.
func drain(sc *bufio.Scanner) {
	for sc.Scan() {
	}
}

// floorBufs pools ReverseProxy's 32 KiB copy buffers, as sioproxy does;
// without a pool ReverseProxy allocates one per response.
type floorBufs struct{}

var floorBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (floorBufs) Get() []byte { return *floorBufPool.Get().(*[]byte) }

func (floorBufs) Put(b []byte) {
	if cap(b) == 32<<10 {
		b = b[:cap(b)]
		floorBufPool.Put(&b)
	}
}
