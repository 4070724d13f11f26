package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/sioproxy/sioproxy/internal/gcpace"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

// hostileFlags are the defences against peers sioproxy does not control:
// the memory budget, proxy authentication, query redaction and the
// server's timeouts.
type hostileFlags struct {
	memBudgetText string
	MemBudget     membudget.Budget
	Auth          string   // forward mode: user:pass required as Proxy-Authorization
	RedactParams  []string // extra query parameter names --redact masks
	IdleTimeout   time.Duration
	HeaderTimeout time.Duration
}

// Server timeouts. An idle keep-alive connection is closed after
// defaultIdleTimeout. It must outlast the longest pause an Engine.IO
// client leaves on a pooled connection between two requests: up to
// pingInterval + pingTimeout (25 s + 20 s by default; v3 clients post a
// ping every pingInterval), so 90 s, twice that with margin, as nginx's 75 s
// and Go's transport's 90 s. A long-poll in progress is a request, not
// idle, and is never cut. Headers must arrive within defaultHeaderTimeout
// of the request's first byte (slowloris).
const (
	defaultIdleTimeout   = 90 * time.Second
	defaultHeaderTimeout = 10 * time.Second
)

const hostileUsage = `  --mem-budget SIZE     memory for wire data: UI, caches, queues, WebSocket
                        reassembly (default 256MiB); large payloads are
                        summarised on screen, drops are counted
  --auth USER:PASS      forward mode: require Proxy-Authorization (Basic)
  --redact-param NAME   also mask this query parameter (repeatable; implies
                        --redact)
  --idle-timeout D      close keep-alive connections idle for D (default 90s)
  --header-timeout D    close connections whose request headers take longer
                        than D (default 10s)
`

func (h *hostileFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.memBudgetText, "mem-budget", "256MiB", "")
	fs.StringVar(&h.Auth, "auth", "", "")
	fs.Var((*multiFlag)(&h.RedactParams), "redact-param", "")
	fs.DurationVar(&h.IdleTimeout, "idle-timeout", defaultIdleTimeout, "")
	fs.DurationVar(&h.HeaderTimeout, "header-timeout", defaultHeaderTimeout, "")
}

func (h *hostileFlags) validate(mode string) error {
	n, err := membudget.Parse(h.memBudgetText)
	if err != nil {
		return fmt.Errorf("--mem-budget %v", err)
	}
	h.MemBudget = membudget.New(n)
	if h.Auth != "" {
		if mode != "forward" {
			return fmt.Errorf("--auth needs --mode forward (a reverse proxy is the app's own front door)")
		}
		if user, pass, ok := cutColon(h.Auth); !ok || user == "" || pass == "" {
			return fmt.Errorf("--auth %q: want user:password", user+":…")
		}
	}
	for _, p := range h.RedactParams {
		if p == "" {
			return fmt.Errorf("--redact-param %q: want a query parameter name", p)
		}
	}
	if h.IdleTimeout <= 0 {
		return fmt.Errorf("--idle-timeout %v: want a positive duration such as 90s", h.IdleTimeout)
	}
	if h.HeaderTimeout <= 0 {
		return fmt.Errorf("--header-timeout %v: want a positive duration such as 10s", h.HeaderTimeout)
	}
	return nil
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// applyMemoryLimit sets the Go runtime's soft memory limit from the
// budget, unless GOMEMLIMIT already set one.
func applyMemoryLimit(b membudget.Budget, env func(string) string) {
	if env("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(b.RuntimeLimit())
}

// startPacer paces the collector from the median recent live heap
// (internal/gcpace) unless GOMEMLIMIT chose a limit: headless, a small live
// heap at GOGC 400 made RSS follow every burst of large messages; in the
// terminal UI, at the budget's limit, the runtime started its cycles
// anywhere in a 60 MiB range and RSS dipped after runs of early ones.
func startPacer(b membudget.Budget, env func(string) string) *gcpace.Pacer {
	if env("GOMEMLIMIT") != "" {
		return nil
	}
	return gcpace.Start(b.RuntimeLimit())
}

// warnExposed tells the user, loudly, when the listener is reachable from
// other machines.
func warnExposed(stderr io.Writer, addr net.Addr, forward, auth bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return
	}
	const bar = "sioproxy: ************************************************************\n"
	io.WriteString(stderr, bar)
	switch {
	case forward && !auth:
		fmt.Fprintf(stderr, "sioproxy: WARNING: listening on %s, reachable from other machines, as an OPEN PROXY:\n"+
			"sioproxy:   anyone who reaches this port can relay through it to any host, this\n"+
			"sioproxy:   machine's loopback services included, and read intercepted HTTPS.\n"+
			"sioproxy:   Use --listen 127.0.0.1:PORT, or require a password with --auth user:pass.\n", addr)
	case forward:
		fmt.Fprintf(stderr, "sioproxy: WARNING: listening on %s, reachable from other machines (forward proxy,\n"+
			"sioproxy:   password required). Basic credentials travel in clear text on the network.\n", addr)
	default:
		fmt.Fprintf(stderr, "sioproxy: WARNING: listening on %s, reachable from other machines: anyone who\n"+
			"sioproxy:   reaches this port reaches the target through sioproxy, and their traffic is shown\n"+
			"sioproxy:   and recorded here. Use --listen 127.0.0.1:PORT unless that is what you want.\n", addr)
	}
	io.WriteString(stderr, bar)
}
