package main

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"time"
)

// startHTTP serves h on ln until the returned stop is called. served carries
// a Serve failure (a Shutdown is none) and then closes, so runtime.run sees
// the listener die. stop gives in-flight requests shutdownGrace, then calls
// release, which closes what the server's Shutdown cannot reach (hijacked
// connections), so nothing is pushed to the sinks after it returns.
//
// idle and header are the server's IdleTimeout and ReadHeaderTimeout (see
// defaultIdleTimeout); zero takes the defaults.
func startHTTP(ln net.Listener, h http.Handler, errLog *log.Logger, release func() error, idle, header time.Duration) (served <-chan error, stop func()) {
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	if header <= 0 {
		header = defaultHeaderTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: header,
		IdleTimeout:       idle,
		ErrorLog:          errLog,
		// No ReadTimeout or WriteTimeout: a long-poll or a WebSocket may
		// legitimately last; IdleTimeout only runs between requests.
	}
	ch := make(chan error, 1)
	go serveHTTP(srv, ln, ch)
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		cancel()
		release()
	}
	return ch, stop
}

func serveHTTP(srv *http.Server, ln net.Listener, served chan<- error) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		served <- err
	}
	close(served)
}
