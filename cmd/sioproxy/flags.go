package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/proxy"
)

// defaultTarget is where a Socket.IO app usually listens in development.
const defaultTarget = "http://127.0.0.1:3000"

// subcommands are reserved names for the first argument.
var subcommands = []string{"demo", "replay", "export", "ca", "doctor", "report", "inject", "sessions", "version", "help", "completion"}

// config is everything the command line says.
type config struct {
	Command string   // a subcommand, "" for the proxy
	Args    []string // the subcommand's arguments

	Targets          []*url.URL
	Listen           string
	Paths            []string
	Balance          string
	KeepHost         bool
	NoTUI            bool
	JSON             bool
	UpstreamCA       string
	InsecureUpstream bool
	BodyCap          int // bytes kept per body; 0 keeps none
	Record           string
	Redact           bool            // mask secrets in recordings
	View             int             // packets the terminal UI keeps for scrolling and filtering
	Rules            string          // --rules FILE for the active layer
	Control          string          // control socket path, "" for the default, "off" for none
	Binary           sio.BinaryStyle // attachments in --json and --no-tui
	AckTimeout       time.Duration   // G5: an ACK later than this is reported; negative is off, 0 the default

	modeFlags    // --mode, --intercept, --tls… (forward.go)
	statsFlags   // --metrics (metrics.go)
	injectFlags  // --inject (inject.go)
	hostileFlags // --mem-budget, --auth, --redact-param, timeouts (hostile.go)
}

// errHelp is returned for -h/--help; the caller prints usageText.
var errHelp = flag.ErrHelp

const usageText = `usage: sioproxy [flags]
       sioproxy demo | replay | export | ca | doctor | report ...
       sioproxy inject | sessions ...   (talk to a running sioproxy)
       sioproxy help [command] | version | completion bash|zsh|fish

sioproxy relays a Socket.IO app unchanged and shows what crosses the wire.

flags:
  --target URL          upstream base URL, repeat for several
                        (default ` + defaultTarget + `)
  --listen ADDR         address to listen on (default 127.0.0.1:8080)
  --path PREFIX         Engine.IO path prefix, repeatable
                        (default /socket.io/ and /engine.io/)
  --balance MODE        with several targets: round-robin (default) or sticky
  --keep-host           forward the client's Host header instead of the target's
  --no-tui              one line per event on stdout instead of the terminal UI
  --json                JSON Lines on stdout (implies --no-tui)
  --upstream-ca FILE    PEM roots to verify https upstreams with
  --insecure-upstream   do not verify upstream certificates
  --body-cap N          bytes of each HTTP body kept for decoding
                        (default 1048576)
  --record FILE         also record every observation to FILE (.gz compresses)
  --redact              mask cookies, Authorization, CONNECT auth and secret
                        query parameters (recordings, exports, stdout)
  --view N              packets the terminal UI keeps in memory (default 10000;
                        at most what 1/8 of --mem-budget holds)
  --rules FILE          rewrite traffic by the rules in FILE, JSON or .yaml
                        (drop, delay, set, replace, respond, inject); reloaded
                        when it changes
  --control PATH|off    control socket for sioproxy inject/sessions (default
                        $XDG_RUNTIME_DIR/sioproxy.sock; off: none, the relay
                        stays purely transparent)
  --ack-timeout DUR     report an EVENT whose ACK has not come after DUR
                        (default 10s, 0 = off)
  --version             print the version and exit
` + binaryUsage + metricsUsage + modeUsage + injectFlagUsage + hostileUsage

// parseFlags reads the command line (without the program name). Errors
// name the flag and the offending value.
func parseFlags(args []string) (config, error) {
	var c config
	if len(args) > 0 {
		if args[0] == "--version" || args[0] == "-version" {
			return config{Command: "version"}, nil
		}
		for _, s := range subcommands {
			if args[0] == s {
				return config{Command: s, Args: args[1:]}, nil
			}
		}
	}
	fs := flag.NewFlagSet("sioproxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var targets, paths multiFlag
	fs.Var(&targets, "target", "")
	fs.Var(&paths, "path", "")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "")
	fs.StringVar(&c.Balance, "balance", proxy.RoundRobin, "")
	fs.BoolVar(&c.KeepHost, "keep-host", false, "")
	fs.BoolVar(&c.NoTUI, "no-tui", false, "")
	fs.BoolVar(&c.JSON, "json", false, "")
	fs.StringVar(&c.UpstreamCA, "upstream-ca", "", "")
	fs.BoolVar(&c.InsecureUpstream, "insecure-upstream", false, "")
	fs.IntVar(&c.BodyCap, "body-cap", proxy.DefaultBodyCap, "")
	fs.StringVar(&c.Record, "record", "", "")
	fs.BoolVar(&c.Redact, "redact", false, "")
	fs.IntVar(&c.View, "view", defaultView, "")
	fs.StringVar(&c.Rules, "rules", "", "")
	fs.StringVar(&c.Control, "control", "", "")
	fs.DurationVar(&c.AckTimeout, "ack-timeout", defaultAckTimeout, "")
	c.modeFlags.register(fs)
	c.registerBinary(fs)
	c.statsFlags.register(fs)
	c.injectFlags.register(fs)
	c.hostileFlags.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, fmt.Errorf("%s", strings.Replace(err.Error(), " -", " --", 1))
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags start with --; subcommands are %s)", fs.Arg(0), strings.Join(subcommands, ", "))
	}

	if len(targets) == 0 {
		targets = multiFlag{defaultTarget}
	}
	for _, s := range targets {
		u, err := parseTarget(s)
		if err != nil {
			return c, fmt.Errorf("--target %q: %v", s, err)
		}
		c.Targets = append(c.Targets, u)
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return c, fmt.Errorf("--path %q: must start with /", p)
		}
	}
	c.Paths = paths
	if c.Balance != proxy.RoundRobin && c.Balance != proxy.Sticky {
		return c, fmt.Errorf("--balance %q: want %s or %s", c.Balance, proxy.RoundRobin, proxy.Sticky)
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		return c, fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:8080", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c, fmt.Errorf("--listen %q: port %q is not a number from 0 to 65535", c.Listen, port)
	}
	if err := checkView(c.View); err != nil {
		return c, err
	}
	if c.AckTimeout < 0 {
		return c, fmt.Errorf("--ack-timeout %v: must be 0 (off) or more", c.AckTimeout)
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = -1 // off, unlike the zero config of replay and demo
	}
	if c.BodyCap < 0 {
		return c, fmt.Errorf("--body-cap %d: must be 0 or more", c.BodyCap)
	}
	if c.InsecureUpstream && c.UpstreamCA != "" {
		return c, fmt.Errorf("--upstream-ca %q with --insecure-upstream: choose one", c.UpstreamCA)
	}
	if err := c.modeFlags.validate(); err != nil {
		return c, err
	}
	if err := c.injectFlags.validate(len(c.Targets)); err != nil {
		return c, err
	}
	if err := c.hostileFlags.validate(c.Mode); err != nil {
		return c, err
	}
	c.Redact = c.Redact || len(c.RedactParams) > 0
	if c.JSON {
		c.NoTUI = true
	}
	return c, nil
}

// parseTarget accepts a base URL; a bare host:port means http.
func parseTarget(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("a target has no query or fragment")
	}
	return u, nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// defaultView is the TUI's packet ring: enough to scroll back a few minutes
// of a busy app in a few MB.
const defaultView = 10000

func checkView(n int) error {
	if n < 100 || n > 10_000_000 {
		return fmt.Errorf("--view %d: want 100 to 10000000 packets", n)
	}
	return nil
}
