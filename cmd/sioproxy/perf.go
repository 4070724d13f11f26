package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"syscall"
)

// pprofEnv names the environment variable that serves net/http/pprof on a
// loopback address (e.g. SIOPROXY_PPROF=127.0.0.1:6060), for profiling the
// proxy under load. It is deliberately not a documented flag.
const pprofEnv = "SIOPROXY_PPROF"

// setupProcess prepares the process for many connections and, on request,
// for profiling. Problems are reported, never fatal: the proxy still works
// with fewer descriptors.
func setupProcess(stderr io.Writer) {
	raiseNofile(stderr)
	tuneGC()
	if addr := os.Getenv(pprofEnv); addr != "" {
		startPprof(addr, stderr)
	}
}

// raiseNofile lifts the soft RLIMIT_NOFILE to the hard limit: every
// relayed WebSocket holds two descriptors (client and upstream), and the
// usual soft limit of 1024 would cap sioproxy at about 500 connections.
func raiseNofile(stderr io.Writer) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur >= lim.Max {
		return
	}
	cur := lim.Cur
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintf(stderr, "sioproxy: cannot raise the open-file limit from %d to %d: %v\n", cur, lim.Max, err)
	}
}

// GC settings unless the user chose with GOGC or GOMEMLIMIT. The live heap
// is small and bounded (byte-bounded queues, capped bodies), so collecting
// at every doubling of it ran the GC thousands of times a second on
// polling traffic; a higher GOGC trades a little memory for much less GC
// CPU, and the soft memory limit takes the trade back when memory is
// short.
const (
	gcPercent   = 400
	memoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// startPprof serves the profiling endpoints on addr, which must be a
// loopback address: profiles expose memory contents.
func startPprof(addr string, stderr io.Writer) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(stderr, "sioproxy: %s=%q: want a loopback host:port\n", pprofEnv, addr)
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "sioproxy: %s: %v\n", pprofEnv, err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	fmt.Fprintf(stderr, "sioproxy: pprof on http://%s/debug/pprof/\n", ln.Addr())
	go servePprof(ln, mux)
}

func servePprof(ln net.Listener, h http.Handler) { http.Serve(ln, h) }
