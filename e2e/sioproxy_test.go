package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// sioproxy is a running sioproxy binary in --json mode.
type sioproxy struct {
	*proc
	url string // where clients connect, e.g. http://127.0.0.1:43567
}

// listenRE finds the address sioproxy prints on stderr when it is ready,
// e.g. "sioproxy: listening on http://127.0.0.1:43567 → http://127.0.0.1:3000".
var listenRE = regexp.MustCompile(`listening on (https?://[^\s,;]+)`)

// needProxy fails the test when there is no sioproxy binary, and skips it
// when SIOPROXY_E2E_DIRECT_ONLY=1 asks to test the Node sides alone.
func needProxy(t testing.TB) {
	t.Helper()
	if directOnly {
		t.Skip("SIOPROXY_E2E_DIRECT_ONLY=1: not testing through sioproxy")
	}
	if sioproxyBin == "" {
		t.Fatalf("no sioproxy binary: %v", sioproxyErr)
	}
}

// startProxy runs sioproxy in front of target with --json and the extra
// flags, and waits until it listens.
func startProxy(t testing.TB, target string, extra ...string) *sioproxy {
	t.Helper()
	needProxy(t)
	// --binary full: the tests compare attachments byte for byte with what
	// the Node sides sent.
	argv := append([]string{sioproxyBin, "--target", target, "--listen", "127.0.0.1:0", "--json", "--binary", "full"}, extra...)
	return runSioproxy(t, "sioproxy", argv)
}

// runSioproxy starts argv (a sioproxy command line) and waits until it
// prints where it listens.
func runSioproxy(t testing.TB, name string, argv []string) *sioproxy {
	t.Helper()
	// Registered before startProc so it runs after the process is stopped
	// and its stderr complete: a race-built sioproxy reports races there.
	var p *proc
	t.Cleanup(func() {
		if p != nil && strings.Contains(strings.Join(p.stderr.all(), "\n"), "WARNING: DATA RACE") {
			t.Errorf("sioproxy reported a data race\n%s", p.describe())
		}
	})
	p = startProc(t, name, e2eDir, argv...)
	var url string
	ok := p.stderr.waitFor(startTimeout, func(lines []string) bool {
		for _, l := range lines {
			if m := listenRE.FindStringSubmatch(l); m != nil {
				url = strings.TrimRight(m[1], "/")
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("sioproxy %q did not print \"listening on http://HOST:PORT\" on stderr within %v\n%s", argv[1:], startTimeout, p.describe())
	}
	return &sioproxy{proc: p, url: url}
}

// events parses sioproxy's stdout; a line that is not a JSON event fails
// the test, since --json promises JSON Lines.
func (s *sioproxy) events(t testing.TB) []event.Event {
	t.Helper()
	return parseEvents(t, s.stdout.all())
}

func parseEvents(t testing.TB, lines []string) []event.Event {
	t.Helper()
	out := make([]event.Event, 0, len(lines))
	for i, l := range lines {
		var e event.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Errorf("sioproxy --json stdout line %d is not a JSON event: %v: %.300q", i+1, err, l)
			continue
		}
		if e.Kind == "" || e.TS.IsZero() {
			t.Errorf("sioproxy --json stdout line %d lacks kind or ts: %.300q", i+1, l)
		}
		out = append(out, e)
	}
	return out
}

// waitEvents waits until cond holds on sioproxy's events or the timeout
// passes, and returns the events seen last.
func (s *sioproxy) waitEvents(t testing.TB, timeout time.Duration, cond func([]event.Event) bool) ([]event.Event, bool) {
	t.Helper()
	var evs []event.Event
	ok := s.stdout.waitFor(timeout, func(lines []string) bool {
		evs = quietParse(lines)
		return cond(evs)
	})
	return evs, ok
}

// quietParse parses what it can; events() reports bad lines at the end.
func quietParse(lines []string) []event.Event {
	out := make([]event.Event, 0, len(lines))
	for _, l := range lines {
		var e event.Event
		if json.Unmarshal([]byte(l), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}
