package main

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/proxy/inject"
)

func TestInjectFlags(t *testing.T) {
	c, err := parseFlags([]string{"--inject", "drop-pongs=50%", "--inject", "cut-ws=60s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Inject) != 2 || c.Inject[0].Text != "drop-pongs=50%" || c.Inject[1].Kind != inject.CutWS {
		t.Fatalf("rules %+v", c.Inject)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--inject", "delay=x:1s"}, `--inject "delay=x:1s": direction "x": want c2s, s2c or both`},
		{[]string{"--inject", "nope"}, `--inject "nope": unknown rule "nope"`},
		{[]string{"--inject", "reroute-sid"}, `--inject "reroute-sid": needs at least two --target`},
	} {
		_, err := parseFlags(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"--target", "http://a:1", "--target", "http://b:2", "--inject", "reroute-sid"}); err != nil {
		t.Errorf("reroute-sid with two targets: %v", err)
	}
	// Without --inject and without a UI, the relay gets no active layer of
	// its own: it stays on the transparent path.
	var f injectFlags
	if set, eng := f.injectSet(1), f.injectEngine(nil, false); eng != nil || set.Any() {
		t.Errorf("no --inject, headless: engine %v, rules on %v", eng, set.Any())
	}
	if eng := f.injectEngine(nil, true); eng == nil {
		t.Error("with the UI the fault menu needs an active layer")
	}
	// The rules file's faults are checked as --inject's are.
	rs, _ := inject.Parse("reroute-sid")
	if err := f.injectSet(1).Check([]inject.Rule{rs}); err == nil || !strings.Contains(err.Error(), `fault "reroute-sid": needs at least two --target`) {
		t.Errorf("reroute-sid from the rules file with one target: %v", err)
	}
	if err := f.injectSet(2).Check([]inject.Rule{rs}); err != nil {
		t.Errorf("reroute-sid with two targets: %v", err)
	}
}
