package proxy

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
)

// smallBody is the largest request body read whole before it is
// forwarded. Every Engine.IO polling POST is one: the client sent it with
// its headers, so reading it first costs no latency. net/http's Transport
// writes a body it knows to be in memory together with the request
// headers, in one write; any other body it sends after flushing the
// headers on their own, a second write system call per POST (about 5% of
// the proxy's CPU on small polling, and a cost the bare ReverseProxy pays
// too).
const smallBody = 64 << 10

// readSmallBody reads req's body whole when it is small and its length
// is known, into c's buffer when that is large enough, and returns the
// body to forward: the same bytes, in memory. whole says whether all of
// it arrived; if the client stopped early, the body forwards what came
// and then the client's error, so the upstream sees what it would have.
// It returns nil when the body is to be streamed, and the client's error
// when its body broke off.
func readSmallBody(req *http.Request, c *capture, n *atomic.Uint64) (body io.ReadCloser, whole bool, failed *clientBodyError) {
	cl := req.ContentLength
	// A client waiting for 100 Continue sends its body only once the
	// upstream asked for it; reading first would decide for the upstream.
	if cl <= 0 || cl > smallBody || req.Header.Get("Expect") != "" {
		return nil, false, nil
	}
	var buf []byte
	if cap(c.buf) >= int(cl) {
		buf = c.buf[:cl] // the capture keeps these very bytes
	} else {
		buf = make([]byte, cl)
	}
	got, err := io.ReadFull(req.Body, buf)
	n.Add(uint64(got))
	c.mu.Lock()
	c.n += int64(got)
	if cap(c.buf) >= int(cl) {
		c.buf = buf[:got]
	} else if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, buf[:min(room, got)]...)
	}
	c.mu.Unlock()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // fewer bytes than Content-Length
		}
		// The round trip's error is then the client's doing, as for a
		// streamed body (teeBody.failed).
		return io.NopCloser(io.MultiReader(bytes.NewReader(buf[:got]), errReader{err})), false,
			&clientBodyError{err: err, got: int64(got), want: cl}
	}
	return io.NopCloser(bytes.NewReader(buf)), true, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
