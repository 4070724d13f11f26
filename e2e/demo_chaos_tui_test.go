package e2e

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// injectedRowRE is an INJECTED row of the packet stream: its transport and
// rule ("INJECTED ws no-upgrade: stripped …").
var injectedRowRE = regexp.MustCompile(`INJECTED (?:ws|poll) ([a-z-]+)(?:=\S*)?: `)

// TestTUIDemoChaos runs `sioproxy demo --chaos` in tmux (it needs nothing
// external) and waits until the screen has shown faults injected by at
// least two different rules, with the status bar naming the rule on.
func TestTUIDemoChaos(t *testing.T) {
	s := startTUI(t, "demo --chaos --pace 0.2")
	seen := map[string]bool{}
	var status []string
	s.waitScreen("INJECTED rows of two different rules", 120*time.Second, func(scr string) bool {
		for _, m := range injectedRowRE.FindAllStringSubmatch(scr, -1) {
			seen[m[1]] = true
		}
		if i := strings.Index(scr, "⚡ INJECTING "); i >= 0 {
			line, _, _ := strings.Cut(scr[i:], "\n")
			status = append(status, strings.TrimSpace(line))
		}
		return len(seen) >= 2
	})
	var rules []string
	for r := range seen {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	named := false
	for _, l := range status {
		for _, r := range rules {
			named = named || strings.Contains(l, r)
		}
	}
	if !named {
		t.Errorf("the status bar never named a rule that injected (%q); it showed %q", rules, status)
	}
	t.Logf("rules seen injecting: %q", rules)
	s.keys("q")
	s.waitExit("q")
}
