// Package inject parses and holds the fault-injection rules of --inject
// (issue 14): conditions users report from production — an nginx that
// drops the Upgrade header, a load balancer cutting WebSockets at a fixed
// age, a frozen tab that stops answering pings, a flaky mobile network —
// reproduced on purpose by the proxy so the client's reaction and
// sioproxy's own diagnosis can be watched.
//
// The package only decides; the proxy acts (proxy/inject_*.go). A Set is
// safe for concurrent use and can be toggled while the proxy runs.
package inject

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind names a rule.
type Kind string

// The rules, as written on the command line before any "=".
const (
	NoUpgrade    Kind = "no-upgrade"    // strip Upgrade/Connection from WebSocket upgrades (D1)
	SwallowProbe Kind = "swallow-probe" // never relay the server's 3probe (D2)
	DropPongs    Kind = "drop-pongs"    // drop the client's pongs (F1 pong_missing)
	DropPings    Kind = "drop-pings"    // drop the server's pings (F1 ping_missing)
	CutWS        Kind = "cut-ws"        // cut WebSockets at a fixed age (F2)
	CutPoll      Kind = "cut-poll"      // cut long-polls at a fixed age (F2)
	FailPolls    Kind = "fail-polls"    // answer every Nth polling request with a status (C1, F2, A)
	StripCORS    Kind = "strip-cors"    // remove Access-Control-* from answers (B1)
	RerouteSid   Kind = "reroute-sid"   // send a session's requests to another upstream (C1, C2)
	Delay        Kind = "delay"         // add latency in one or both directions
	Bandwidth    Kind = "bandwidth"     // cap the throughput of each connection
	Loss         Kind = "loss"          // WebSocket: retransmission delays; polling: failed requests
	Corrupt      Kind = "corrupt"       // corrupt Socket.IO packets (G4)
	Oversize     Kind = "oversize"      // refuse messages over a size, as maxHttpBufferSize (H1)
)

// Kinds lists every rule in the order help and the TUI show them.
var Kinds = []Kind{NoUpgrade, SwallowProbe, DropPongs, DropPings, CutWS, CutPoll, FailPolls,
	StripCORS, RerouteSid, Delay, Bandwidth, Loss, Corrupt, Oversize}

// Dir is the direction a delay applies to.
type Dir uint8

const (
	Both Dir = iota
	C2S
	S2C
)

func (d Dir) String() string {
	switch d {
	case C2S:
		return "c2s"
	case S2C:
		return "s2c"
	}
	return "both"
}

// Has reports whether d covers the direction c2s (true) or s2c (false).
func (d Dir) Has(c2s bool) bool { return d == Both || (d == C2S) == c2s }

// Rule is one parsed --inject value.
type Rule struct {
	Kind Kind
	// Text is the rule in canonical form ("drop-pongs=50%"): what the
	// output, the recording and the diagnosis name.
	Text string
	// Percent is the share of packets or requests affected (drop-pongs,
	// drop-pings, corrupt, loss), 0 < Percent ≤ 100.
	Percent float64
	// After is the age at which cut-ws and cut-poll cut.
	After time.Duration
	// Frame: cut-ws sends a close frame (1001) to both sides before
	// cutting; cut-poll answers 504 like nginx's proxy_read_timeout. Without
	// it, the TCP connection is just closed, as an idle timeout does.
	Frame bool
	// Delay, Jitter and Dir describe delay=DIR:DURATION[±JITTER].
	Delay, Jitter time.Duration
	Dir           Dir
	// Status, Code and Every describe fail-polls=STATUS[:CODE]/N (and
	// reroute-sid=N's Every): the answer status, the Engine.IO error code
	// in its JSON body (-1 for a plain-text body) and how often.
	Status, Code, Every int
	// Rate is bandwidth's cap in bytes per second.
	Rate int64
	// Size is oversize's limit in bytes.
	Size int64
}

// Defaults for values a rule may omit.
const (
	DefaultCut      = 30 * time.Second
	DefaultOversize = 1000
	defaultEvery    = 3
)

// Usage describes every rule's syntax, for --help (indented under the
// flag).
const Usage = `      no-upgrade
          forward WebSocket upgrades without Upgrade/Connection (400 code 3)
      swallow-probe
          let the WebSocket open but never relay 3probe
      drop-pongs[=N%]
          drop (N% of) the client's heartbeat pongs: a frozen tab
      drop-pings[=N%]
          drop (N% of) the server's heartbeat pings
      cut-ws=DURATION[:close]
          cut WebSockets at that age (:close sends close frames first)
      cut-poll=DURATION[:504]
          cut long-polls at that age (:504 answers 504 instead)
      fail-polls=STATUS[:CODE]/N
          answer every Nth session request with STATUS (503/3, 400:1/5)
      strip-cors
          remove Access-Control-* headers from answers
      reroute-sid[=N]
          send sessions' requests (every Nth) to another --target
      delay=DIR:DURATION[±JITTER]
          add latency; DIR is c2s, s2c or both (s2c:300ms±100ms)
      bandwidth=RATE
          cap each connection per direction (56kbit, 1mbit, 20KB)
      loss=N%
          WebSocket: retransmission delays; polling: N% of requests fail
      corrupt=N%
          corrupt N% of Socket.IO packets (the receiver's parser refuses them)
      oversize[=SIZE]
          refuse messages over SIZE bytes (default 1000): 413 / close 1009
`

// ParseError is a rule that could not be parsed; it names the rule and
// the offending value.
type ParseError struct {
	Rule   string
	Reason string
}

func (e *ParseError) Error() string { return fmt.Sprintf("--inject %q: %s", e.Rule, e.Reason) }

// Parse reads one --inject value.
func Parse(s string) (Rule, error) {
	name, val, hasVal := strings.Cut(strings.TrimSpace(s), "=")
	fail := func(format string, args ...any) (Rule, error) {
		return Rule{}, &ParseError{Rule: s, Reason: fmt.Sprintf(format, args...)}
	}
	r := Rule{Kind: Kind(name)}
	known := false
	for _, k := range Kinds {
		known = known || k == r.Kind
	}
	if !known {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return fail("unknown rule %q (rules: %s)", name, strings.Join(names, ", "))
	}
	noValue := func() (Rule, error) {
		if hasVal {
			return fail("%s takes no value, got %q", name, val)
		}
		return r, nil
	}
	needValue := func(what string) error {
		if !hasVal || val == "" {
			return &ParseError{Rule: s, Reason: fmt.Sprintf("%s needs a value: %s=%s", name, name, what)}
		}
		return nil
	}
	var err error
	switch r.Kind {
	case NoUpgrade, SwallowProbe, StripCORS:
		r, err = noValue()
	case DropPongs, DropPings:
		r.Percent = 100
		if hasVal {
			r.Percent, err = percent(val)
		}
	case Corrupt, Loss:
		if err = needValue("N%"); err == nil {
			r.Percent, err = percent(val)
		}
	case CutWS, CutPoll:
		if err = needValue("DURATION, e.g. 60s"); err != nil {
			break
		}
		d, opt, _ := strings.Cut(val, ":")
		if r.After, err = duration(d); err != nil {
			break
		}
		switch {
		case opt == "":
		case r.Kind == CutWS && opt == "close", r.Kind == CutPoll && opt == "504":
			r.Frame = true
		case r.Kind == CutWS:
			err = fmt.Errorf("option %q: want \":close\" (send close frames before cutting) or nothing", opt)
		default:
			err = fmt.Errorf("option %q: want \":504\" (answer 504 Gateway Timeout) or nothing", opt)
		}
	case FailPolls:
		if err = needValue("STATUS[:CODE]/N, e.g. 503/3 or 400:1/5"); err == nil {
			err = r.parseFail(val)
		}
	case RerouteSid:
		r.Every = 1
		if hasVal {
			r.Every, err = every(val)
		}
	case Delay:
		if err = needValue("DIR:DURATION[±JITTER], e.g. s2c:300ms±100ms"); err == nil {
			err = r.parseDelay(val)
		}
	case Bandwidth:
		if err = needValue("RATE, e.g. 56kbit, 1mbit or 20KB"); err == nil {
			r.Rate, err = rate(val)
		}
	case Oversize:
		r.Size = DefaultOversize
		if hasVal {
			r.Size, err = size(val)
		}
	}
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			return Rule{}, pe
		}
		return fail("%v", err)
	}
	r.Text = r.canonical()
	return r, nil
}

func percent(v string) (float64, error) {
	n, ok := strings.CutSuffix(v, "%")
	if !ok {
		return 0, fmt.Errorf("%q: want a percentage such as 30%%", v)
	}
	p, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(p) || p <= 0 || p > 100 {
		return 0, fmt.Errorf("%q: want a percentage above 0%% and at most 100%%", v)
	}
	return p, nil
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive Go duration such as 500ms, 60s or 2m", v)
	}
	return d, nil
}

func every(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("N %q: want a whole number from 1 (every request) to 1000000", v)
	}
	return n, nil
}

func (r *Rule) parseFail(v string) error {
	st, n, hasN := strings.Cut(v, "/")
	r.Every = defaultEvery
	if hasN {
		var err error
		if r.Every, err = every(n); err != nil {
			return err
		}
	}
	st, code, hasCode := strings.Cut(st, ":")
	s, err := strconv.Atoi(st)
	if err != nil || s < 400 || s > 599 {
		return fmt.Errorf("status %q: want an HTTP error status from 400 to 599", st)
	}
	r.Status, r.Code = s, -1
	if hasCode {
		c, err := strconv.Atoi(code)
		if err != nil || c < 0 || c > 5 {
			return fmt.Errorf("Engine.IO code %q: want 0 to 5 (1 is \"Session ID unknown\")", code)
		}
		r.Code = c
	}
	return nil
}

func (r *Rule) parseDelay(v string) error {
	dir, d, ok := strings.Cut(v, ":")
	if !ok {
		dir, d = "both", v
	}
	switch dir {
	case "c2s", "up":
		r.Dir = C2S
	case "s2c", "down":
		r.Dir = S2C
	case "both":
		r.Dir = Both
	default:
		return fmt.Errorf("direction %q: want c2s, s2c or both", dir)
	}
	d, j, hasJ := strings.Cut(strings.Replace(d, "+-", "±", 1), "±")
	var err error
	if r.Delay, err = duration(d); err != nil {
		return err
	}
	if hasJ {
		if r.Jitter, err = duration(j); err != nil {
			return fmt.Errorf("jitter: %v", err)
		}
		if r.Jitter > r.Delay {
			return fmt.Errorf("jitter %v is larger than the delay %v", r.Jitter, r.Delay)
		}
	}
	return nil
}

// rateUnits are bandwidth's units, in bytes per second; "/s" may follow.
var rateUnits = []struct {
	suffix string
	bytes  float64
}{
	{"kbit", 1000.0 / 8}, {"mbit", 1e6 / 8}, {"gbit", 1e9 / 8}, {"bit", 1.0 / 8},
	{"kib", 1024}, {"mib", 1 << 20}, {"kb", 1000}, {"mb", 1e6}, {"b", 1},
}

func rate(v string) (int64, error) {
	s := strings.TrimSuffix(strings.ToLower(v), "/s")
	if n, ok := strings.CutSuffix(s, "bps"); ok {
		s = n + "bit" // 56kbps
	}
	for _, u := range rateUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || math.IsNaN(f) || f <= 0 {
				break
			}
			b := f * u.bytes
			if b < 100 || b > 1e10 {
				return 0, fmt.Errorf("rate %q: want 100 B/s to 10 GB/s", v)
			}
			return int64(b), nil
		}
	}
	return 0, fmt.Errorf("rate %q: want a number and a unit: 56kbit, 1mbit (bits/s) or 500B, 20KB, 1MB (bytes/s)", v)
}

func size(v string) (int64, error) {
	s := strings.ToLower(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kib", 1024}, {"mib", 1 << 20}, {"kb", 1000}, {"mb", 1e6}, {"b", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > 1<<40/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, e.g. 1000, 64KB or 1MiB", v)
	}
	return n * mult, nil
}

func (r Rule) canonical() string {
	k := string(r.Kind)
	pct := func() string { return strconv.FormatFloat(r.Percent, 'f', -1, 64) + "%" }
	switch r.Kind {
	case DropPongs, DropPings:
		if r.Percent == 100 {
			return k
		}
		return k + "=" + pct()
	case Corrupt, Loss:
		return k + "=" + pct()
	case CutWS:
		if r.Frame {
			return k + "=" + r.After.String() + ":close"
		}
		return k + "=" + r.After.String()
	case CutPoll:
		if r.Frame {
			return k + "=" + r.After.String() + ":504"
		}
		return k + "=" + r.After.String()
	case FailPolls:
		st := strconv.Itoa(r.Status)
		if r.Code >= 0 {
			st += ":" + strconv.Itoa(r.Code)
		}
		return k + "=" + st + "/" + strconv.Itoa(r.Every)
	case RerouteSid:
		if r.Every == 1 {
			return k
		}
		return k + "=" + strconv.Itoa(r.Every)
	case Delay:
		s := k + "=" + r.Dir.String() + ":" + r.Delay.String()
		if r.Jitter > 0 {
			s += "±" + r.Jitter.String()
		}
		return s
	case Bandwidth:
		return k + "=" + strconv.FormatInt(r.Rate, 10) + "B/s"
	case Oversize:
		return k + "=" + strconv.FormatInt(r.Size, 10)
	}
	return k
}

// Example is a runnable instance of each rule, for the TUI's list of rules
// that were not given on the command line and for demo --chaos.
func Example(k Kind) Rule {
	ex := map[Kind]string{
		DropPongs: "drop-pongs", DropPings: "drop-pings", CutWS: "cut-ws=10s", CutPoll: "cut-poll=10s:504",
		FailPolls: "fail-polls=503/3", Delay: "delay=both:300ms±100ms", Bandwidth: "bandwidth=56kbit",
		Loss: "loss=20%", Corrupt: "corrupt=10%", Oversize: "oversize=1000",
	}
	s, ok := ex[k]
	if !ok {
		s = string(k)
	}
	r, err := Parse(s)
	if err != nil {
		panic("inject: bad example " + s + ": " + err.Error()) // a constant above
	}
	return r
}
