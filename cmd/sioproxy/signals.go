package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// forceExitAfter bounds how long the process may live after the second
// SIGINT or SIGTERM, whatever is stuck (a blocked stdout or stderr, a
// disk that does not answer).
const forceExitAfter = time.Second

// sameStop is how close a repeated signal must follow the first to count
// as the same stop.
const sameStop = 100 * time.Millisecond

type forceKey struct{}

// handleSignals returns a context that the first SIGINT or SIGTERM
// cancels: a clean shutdown that still writes the queued output. The
// second closes the channel forceFrom returns, so nothing waits for an
// output nobody reads, and ends the process forceExitAfter later if it
// has not ended by itself.
//
// SIGPIPE is caught as well: a closed stdout pipe (sioproxy --json | head)
// then fails the write with EPIPE, which the output reports and survives,
// instead of Go's default for fd 1 and 2, which ends the process and
// every connection it relays.
func handleSignals(stderr io.Writer) context.Context {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { // signal watcher
		<-sigs
		first := time.Now()
		cancel()
		for range sigs {
			// timeout(1) and some supervisors send one stop twice, to
			// the process and to its group: that is not the user
			// insisting, and it must not cost the output's tail.
			if time.Since(first) >= sameStop {
				break
			}
		}
		close(force)
		// stderr may be the blocked pipe too: the message must not hold
		// the exit.
		go io.WriteString(stderr, "sioproxy: second signal: quitting without waiting for the output\n")
		time.Sleep(forceExitAfter)
		os.Exit(1)
	}()
	return context.WithValue(ctx, forceKey{}, (<-chan struct{})(force))
}

// forceFrom is the channel the second signal closes; nil (never closed)
// for a context from elsewhere, as in tests that call run directly.
func forceFrom(ctx context.Context) <-chan struct{} {
	c, _ := ctx.Value(forceKey{}).(<-chan struct{})
	return c
}
