package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"syscall"

	"github.com/sioproxy/sioproxy/internal/gcpace"
)

// pprofEnv names the environment variable that serves net/http/pprof on a
// loopback address (e.g. SIOPROXY_PPROF=127.0.0.1:6060), for profiling the
// proxy under load. It is deliberately not a documented flag.
const pprofEnv = "SIOPROXY_PPROF"

// relayOnlyEnv, set to anything, makes the reverse proxy relay without
// observing (proxy.Options.RelayOnly): loadbench's relay mode, which
// measures what relaying costs before any decoding. Not a flag either:
// sioproxy without observation is no use to anyone else.
const relayOnlyEnv = "SIOPROXY_RELAY_ONLY"

// setupProcess prepares the process for many connections and, on request,
// for profiling. Problems are reported, never fatal: the proxy still works
// with fewer descriptors.
func setupProcess(stderr io.Writer) {
	raiseNofile(stderr)
	tuneGC()
	tuneProcs()
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

// tuneProcs leaves half the CPUs to the app and clients being watched,
// unless the user chose with GOMAXPROCS. sioproxy runs on the developer's
// machine next to them, and a relay that can run on every core wakes idle
// cores for each message: on 2 cores, GOMAXPROCS=1 cut the proxy's CPU per
// small WebSocket round trip by about 15% (futex wakeups and the idle
// scheduler's spinning) and did not lower throughput on any load of
// internal/loadbench, since decoding uses a fraction of one core.
func tuneProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	goruntime.GOMAXPROCS(halfProcs(goruntime.GOMAXPROCS(0)))
}

// allProcs gives a local replay every CPU back, unless the user chose
// with GOMAXPROCS: it is a batch job, not a relay running next to the
// app, and its reader, analyzer and formatter goroutines each keep a core
// busy (on 2 cores, GOMAXPROCS=1 held it to one).
func allProcs() {
	if os.Getenv("GOMAXPROCS") == "" {
		goruntime.SetDefaultGOMAXPROCS()
	}
}

// halfProcs is n/2 rounded up: 1 on 1 or 2 CPUs, 2 on 3 or 4, 4 on 8.
func halfProcs(n int) int { return max(1, (n+1)/2) }

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
	mux := pprofMux()
	fmt.Fprintf(stderr, "sioproxy: pprof on http://%s/debug/pprof/\n", ln.Addr())
	go servePprof(ln, mux)
}

// pprofMux serves the profiles and, at /debug/memory, the memory figures
// the headless pacer works with (gcpace.WriteStats).
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/memory", func(w http.ResponseWriter, _ *http.Request) { gcpace.WriteStats(w) })
	return mux
}

func servePprof(ln net.Listener, h http.Handler) { http.Serve(ln, h) }
