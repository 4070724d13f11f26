package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
)

// clientBodyError is a request that failed because reading the client's
// own body failed: the client is at fault, not the upstream. The
// transport reports it as the upstream round trip's error, which would
// otherwise read as "upstream_reset" and be answered 502.
type clientBodyError struct {
	err       error
	got, want int64 // body bytes read, and Content-Length (-1 if chunked)
}

func (e *clientBodyError) Error() string {
	if e.aborted() {
		if e.want >= 0 {
			return fmt.Sprintf("client aborted its request body after %d of %d bytes: %v", e.got, e.want, e.err)
		}
		return fmt.Sprintf("client aborted its chunked request body after %d bytes: %v", e.got, e.err)
	}
	return fmt.Sprintf("client sent a malformed request body (after %d bytes): %v", e.got, e.err)
}

func (e *clientBodyError) Unwrap() error { return e.err }

// aborted tells a client that went away mid-body from one that sent bytes
// no HTTP parser accepts (a chunked body with bare LF line ends).
func (e *clientBodyError) aborted() bool {
	return errors.Is(e.err, io.ErrUnexpectedEOF) || errors.Is(e.err, io.EOF) || errors.Is(e.err, syscall.ECONNRESET) ||
		errors.Is(e.err, syscall.EPIPE) || errors.Is(e.err, net.ErrClosed) || errors.Is(e.err, context.Canceled)
}

// kind is the obs.HTTPExchange ErrKind: "client_abort" or "client_bad_request".
func (e *clientBodyError) kind() string {
	if e.aborted() {
		return "client_abort"
	}
	return "client_bad_request"
}

// clientFault answers a request whose own body failed: 400, since the
// upstream did nothing wrong. It reports whether err was one.
func clientFault(w http.ResponseWriter, err error) bool {
	var cbe *clientBodyError
	if !errors.As(err, &cbe) {
		return false
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "sioproxy: "+cbe.Error()+"\n")
	return true
}
