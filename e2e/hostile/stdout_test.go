package hostile

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// fSetPipeSz and fionread are Linux's fcntl F_SETPIPE_SZ and ioctl
// FIONREAD: a one-page pipe fills with a few lines, and the test can see
// when it is full instead of guessing.
const (
	fSetPipeSz = 1031
	fionread   = 0x541B
)

// smallPipe returns a pipe of one page.
func smallPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, 4096); e != 0 {
		t.Skipf("F_SETPIPE_SZ: %v", e)
	}
	return r, w
}

// queued is how many bytes wait in the pipe.
func queued(r *os.File) int {
	var n int32
	syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), fionread, uintptr(unsafe.Pointer(&n)))
	return int(n)
}

// roundTrip is one live client's exchange through the proxy: a handshake
// and an event POSTed, both relayed unchanged.
func roundTrip(t *testing.T, c *client, up *upstream) {
	t.Helper()
	if got := c.handshake(); !bytes.Equal(got, up.openPacket()) {
		t.Fatalf("handshake changed in transit: %q", got)
	}
	body := []byte(`42["tick",` + `"` + strings.Repeat("x", 512) + `"]`)
	if st, _, err := c.do("POST", "&sid="+up.Sid, body); err != nil || st != 200 {
		t.Fatalf("the relay stopped serving: %d %v", st, err)
	}
	if !bytes.Equal(up.lastPost(), body) {
		t.Fatal("POST changed in transit")
	}
}

// TestBlockedStdoutSecondSignalQuits: `sioproxy --json | sleep 1000`. The
// relay keeps serving while nobody reads stdout; the first SIGINT waits
// for the output and says so, the second ends the process and says how
// many lines were not written.
func TestBlockedStdoutSecondSignalQuits(t *testing.T) {
	r, w := smallPipe(t)
	up := startUpstream(t, &upstream{Sid: "blockSID"})
	sp := startSioproxy(t, up.srv.URL, stdoutMode{file: w}, "--json")
	w.Close()
	c := newClient(t, sp.url)
	// The pipe is as full as it gets once it stops changing while lines
	// keep coming. It need not reach 4096 bytes: a write of at most
	// PIPE_BUF is atomic, so a 2.6 KB line waits while 2.6 KB are queued
	// (waiting for 4096 spun until the suite's timeout on a busy machine,
	// when the writer wrote line by line).
	last, same := -1, 0
	for i := 0; i < 50 || same < 20; i++ {
		if i >= 5000 {
			t.Fatalf("stdout never stopped filling: %d bytes queued after %d round trips", queued(r), i)
		}
		roundTrip(t, c, up)
		if q := queued(r); q > 0 && q == last {
			same++
		} else {
			last, same = q, 0
		}
	}
	sp.signal(syscall.SIGINT)
	sp.stderr.waitFor(t, "the hint that stdout holds the shutdown", func(ls []string) bool {
		return strings.Contains(strings.Join(ls, "\n"), "interrupt again to quit without it")
	})
	sp.signal(syscall.SIGINT)
	if code := sp.wait(t); code == 0 {
		t.Error("exit code 0 although output was lost")
	}
	if errs := strings.Join(sp.stderr.lines(), "\n"); !strings.Contains(errs, "lines were not written") {
		t.Errorf("stderr does not say what was not written:\n%s", errs)
	}
}

// TestClosedStdoutKeepsRelaying: `sioproxy --json | head -c 300`. The
// reader goes away; the relay keeps serving, stderr says once that output
// stopped, and the process ends, non-zero, only when stopped.
func TestClosedStdoutKeepsRelaying(t *testing.T) {
	r, w := smallPipe(t)
	up := startUpstream(t, &upstream{Sid: "closedSID"})
	sp := startSioproxy(t, up.srv.URL, stdoutMode{file: w}, "--json")
	w.Close()
	c := newClient(t, sp.url)
	roundTrip(t, c, up)
	head := make([]byte, 300)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	r.Close()
	stopped := func(ls []string) int { return strings.Count(strings.Join(ls, "\n"), "output stopped") }
	for stopped(sp.stderr.lines()) == 0 {
		roundTrip(t, c, up)
		if sp.exited() {
			t.Fatalf("sioproxy died with the pipe: %v; stderr:\n%s", sp.err, tail(sp.stderr.lines(), 10))
		}
	}
	for range 20 {
		roundTrip(t, c, up)
	}
	if sp.exited() {
		t.Fatalf("sioproxy exited: %v", sp.err)
	}
	if n := stopped(sp.stderr.lines()); n != 1 {
		t.Errorf("told %d times that output stopped, want once:\n%s", n, tail(sp.stderr.lines(), 10))
	}
	sp.signal(syscall.SIGINT)
	if code := sp.wait(t); code == 0 {
		t.Error("exit code 0 although output was lost")
	}
}
