package diagnose

import (
	"slices"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Faults staged with --inject are diagnosed like any other, from the wire;
// this file only names the rule behind them ("F1 pong_missing — injected
// by --inject drop-pongs"), so a user learns to read the real fault.

// injectCatalog lists, per rule, the catalogue entries it can cause. A
// fault is attributed to a rule only when its entry is listed and the rule
// hit the same session (or, for faults before a session exists, the same
// client host recently): a genuine CORS fault during a delay=… run stays
// the application's.
var injectCatalog = map[string][]string{
	"no-upgrade":    {"A", "D1"},
	"swallow-probe": {"D2"},
	"drop-pongs":    {"F1", "J"},
	"drop-pings":    {"F1", "J"},
	"cut-ws":        {"F2", "J"},
	"cut-poll":      {"F2", "J", "H2"},
	"fail-polls":    {"A", "C1", "F2", "J", "H2"},
	"strip-cors":    {"B1", "B2", "B3", "B4"},
	"reroute-sid":   {"A", "C1", "C2", "J"},
	"delay":         {"D2", "F1", "F2", "H2", "J"},
	"bandwidth":     {"D2", "F1", "F2", "H2", "J"},
	"loss":          {"F1", "F2", "H2", "J"},
	"corrupt":       {"G3", "G4", "J"},
	"oversize":      {"H1", "J"},
}

const (
	maxInjectMarks = 4096
	// injectHostWindow bounds how long a rule that hit a client host
	// explains that host's session-less faults.
	injectHostWindow = 2 * time.Minute
)

type injectMark struct {
	rule string
	at   time.Time
}

// injected remembers which rules hit which sessions and client hosts.
type injected struct {
	sids  map[string][]injectMark
	hosts map[string][]injectMark
}

func (in *injected) add(m map[string][]injectMark, key string, mk injectMark) map[string][]injectMark {
	if m == nil {
		m = make(map[string][]injectMark)
	}
	if len(m) >= maxInjectMarks {
		clear(m) // a rough bound: attribution of old sessions is lost, nothing else
	}
	l := m[key]
	for i := range l {
		if l[i].rule == mk.rule {
			l[i].at = mk.at
			return m
		}
	}
	if len(l) < 8 {
		m[key] = append(l, mk)
	}
	return m
}

// observeInject records an injected fault.
func (e *Engine) observeInject(o obs.Obs, s *session.Session) {
	in := o.Inject
	mk := injectMark{rule: in.Rule, at: o.Time}
	if s != nil {
		e.inj.sids = e.inj.add(e.inj.sids, s.Sid, mk)
	} else if sid := sidOf(in.URL); sid != "" {
		e.inj.sids = e.inj.add(e.inj.sids, sid, mk)
	}
	if in.Client != "" {
		e.inj.hosts = e.inj.add(e.inj.hosts, hostOf(in.Client), mk)
	}
}

// attributeInjection names the rule that staged f, if any, in its summary
// and returns the "--inject RULE" text for Fault.Injected.
func (e *Engine) attributeInjection(f *finding, catalog string) string {
	if len(e.inj.sids) == 0 && len(e.inj.hosts) == 0 {
		return ""
	}
	explains := func(mk injectMark) bool {
		kind, _, _ := strings.Cut(mk.rule, "=")
		return slices.Contains(injectCatalog[kind], catalog)
	}
	var rules []string
	if f.sid != "" {
		for _, mk := range e.inj.sids[f.sid] {
			if explains(mk) {
				rules = append(rules, mk.rule)
			}
		}
	}
	if len(rules) == 0 && f.client != "" {
		at := f.at
		if at.IsZero() {
			at = e.now
		}
		for _, mk := range e.inj.hosts[hostOf(f.client)] {
			if explains(mk) && at.Sub(mk.at) <= injectHostWindow {
				rules = append(rules, mk.rule)
			}
		}
	}
	if len(rules) == 0 {
		return ""
	}
	by := "--inject " + strings.Join(rules, ", --inject ")
	f.summary += " — injected by " + by
	return by
}
