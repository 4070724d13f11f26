package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
)

// Reconnection storms and backoff (L2). socket.io-client retries with
// reconnectionDelay 1000 ms doubling up to reconnectionDelayMax 5000 ms,
// each delay randomized by ±randomizationFactor 0.5: many clients coming
// back at once after an upstream restart still spread out. A storm is many
// handshakes in a short window that mostly fail, or that follow many
// sessions dropping at once; a client whose retries neither grow nor vary
// hammers the server on its own.

type attempt struct {
	at     time.Time
	failed bool
	host   string
	status string // "502", "dial", "ok"
}

// retryChain is one client host's successive handshake attempts.
type retryChain struct {
	lastEnd   time.Time       // the last failed attempt or session end
	intervals []time.Duration // from an end to the next attempt
	live      int             // sessions of this host open now
	maxLive   int             // most sessions of this host open at once
	flagged   bool
}

type stormState struct {
	attempts  []attempt // within StormWindow, oldest first
	drops     []time.Time
	lastStorm time.Time
	chains    map[string]*retryChain
}

const (
	maxAttempts  = 4096
	maxDrops     = 256
	maxIntervals = 12
	// chainReset: a pause this long starts a new retry chain.
	chainReset = time.Minute
)

func (e *Engine) chain(host string) *retryChain {
	st := &e.storm
	if st.chains == nil {
		st.chains = make(map[string]*retryChain)
	}
	c := st.chains[host]
	if c == nil {
		if len(st.chains) >= e.opts.MaxSessions {
			clear(st.chains)
		}
		c = &retryChain{}
		st.chains[host] = c
	}
	return c
}

// handshakeAttempt records a handshake (a request without sid) and runs
// the storm and backoff rules.
func (e *Engine) handshakeAttempt(start, end time.Time, client string, failed bool, status string, emit func(event.Event)) {
	if start.IsZero() {
		start = end
	}
	host := hostOf(client)
	st := &e.storm
	cut := end.Add(-e.opts.StormWindow)
	i := 0
	for i < len(st.attempts) && st.attempts[i].at.Before(cut) {
		i++
	}
	st.attempts = st.attempts[i:]
	if len(st.attempts) >= maxAttempts {
		st.attempts = st.attempts[1:]
	}
	st.attempts = append(st.attempts, attempt{at: start, failed: failed, host: host, status: status})
	e.checkStorm(end, emit)

	c := e.chain(host)
	switch {
	case c.live > 0 || c.lastEnd.IsZero():
		c.intervals = c.intervals[:0]
	case start.Sub(c.lastEnd) > chainReset:
		c.intervals, c.flagged = c.intervals[:0], false
	default:
		if len(c.intervals) >= maxIntervals {
			c.intervals = c.intervals[1:]
		}
		c.intervals = append(c.intervals, max(start.Sub(c.lastEnd), 0))
		e.checkBackoff(c, host, client, end, emit)
	}
	if failed {
		c.lastEnd = end
	}
}

// sessionDropped notes an end that makes a client reconnect: anything but
// the client's own goodbye.
func (e *Engine) sessionDropped(s *session.Session) {
	c := e.chain(hostOf(s.Client))
	c.live = max(c.live-1, 0)
	ci := s.Close
	if ci.By == "client" && (ci.Trigger == "close_packet" || strings.HasPrefix(ci.How, "close frame")) {
		c.lastEnd, c.intervals = time.Time{}, c.intervals[:0]
		return
	}
	c.lastEnd = ci.At
	st := &e.storm
	if len(st.drops) >= maxDrops {
		st.drops = st.drops[1:]
	}
	st.drops = append(st.drops, ci.At)
}

func (e *Engine) sessionLive(s *session.Session) {
	c := e.chain(hostOf(s.Client))
	c.live++
	c.maxLive = max(c.maxLive, c.live)
}

// checkStorm: StormMin handshakes within StormWindow, at least half of
// them failing or right after a mass drop of sessions.
func (e *Engine) checkStorm(now time.Time, emit func(event.Event)) {
	st := &e.storm
	n := len(st.attempts)
	if n < e.opts.StormMin || (!st.lastStorm.IsZero() && now.Sub(st.lastStorm) < e.opts.StormWindow) {
		return
	}
	failed := 0
	hosts := map[string]bool{}
	statuses := map[string]int{}
	for _, a := range st.attempts {
		if a.failed {
			failed++
		}
		hosts[a.host] = true
		statuses[a.status]++
	}
	// A mass drop: 5 sessions or more ending within one second, shortly
	// before the burst.
	first := st.attempts[0].at
	dropAt, dropped := time.Time{}, 0
	for i := range st.drops {
		if st.drops[i].Before(first.Add(-30*time.Second)) || st.drops[i].After(now) {
			continue
		}
		k := 0
		for j := i; j < len(st.drops) && st.drops[j].Sub(st.drops[i]) <= time.Second; j++ {
			k++
		}
		if k > dropped {
			dropAt, dropped = st.drops[i], k
		}
	}
	if failed*2 < n && dropped < 5 {
		return
	}
	st.lastStorm = now
	var trigger string
	if dropped >= 5 {
		trigger = fmt.Sprintf(" after %d sessions dropped within a second at %s (an upstream restart or a network cut)", dropped, dropAt.Format("15:04:05.000"))
	}
	var parts []string
	for _, k := range sortedKeys(statuses) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, statuses[k]))
	}
	e.report(finding{
		code: CodeReconnectStorm, client: st.attempts[n-1].host, at: now, key: "storm",
		summary: fmt.Sprintf("Reconnection storm: %d handshakes in %s from %d client hosts, %d of them failed (%d %%)%s",
			n, dur(now.Sub(first)), len(hosts), failed, failed*100/n, trigger),
		evidence: []string{"handshake outcomes: " + strings.Join(parts, ", ")},
	}, emit)
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkBackoff judges one host's retry intervals against socket.io-client's
// documented backoff: constant intervals mean no randomization (and no
// growth); short ones that do not grow mean no backoff. Only a host that
// never had two sessions at once counts as one client.
func (e *Engine) checkBackoff(c *retryChain, host, client string, at time.Time, emit func(event.Event)) {
	iv := c.intervals
	if c.flagged || len(iv) < 5 {
		return
	}
	last := iv[len(iv)-5:]
	lo, hi := slices.Min(last), slices.Max(last)
	sorted := slices.Clone(last)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	var what string
	switch {
	case median >= time.Second:
		// socket.io-client caps its delay after jitter (Math.min(ms, max)),
		// so a client at reconnectionDelayMax retries every 5 s exactly:
		// constant, but backed off.
		return
	case hi-lo <= max(hi/10, 30*time.Millisecond) && c.maxLive <= 1:
		// socket.io-client's ±50 % randomization never stays this close;
		// the slack is the handshake's own latency.
		what = fmt.Sprintf("at a constant interval of about %s: no randomization and no exponential backoff", dur(median))
	case median < 500*time.Millisecond && last[4] <= last[0]*3/2 && c.maxLive <= 1:
		what = fmt.Sprintf("every %s or so without growing: no exponential backoff", dur(median))
	default:
		return
	}
	c.flagged = true
	var ivs []string
	for _, d := range last {
		ivs = append(ivs, dur(d))
	}
	e.report(finding{
		code: CodeReconnectNoBackoff, client: client, at: at, key: host,
		summary: fmt.Sprintf("The client at %s retried its handshake %s (last intervals %s); socket.io-client's defaults wait 1 s, 2 s, 4 s, then 5 s, each ±50 %% (judged on one address that never held two sessions at once: several clients behind it retrying in turn look alike)",
			host, what, strings.Join(ivs, ", ")),
	}, emit)
}
