package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
	"github.com/sioproxy/sioproxy/tui"
)

// injectFlags is --inject (issue 14): faults staged on purpose.
type injectFlags struct {
	injectRaw []string
	Inject    []inject.Rule
}

const injectFlagUsage = `  --inject RULE         stage a production failure, repeatable (TUI: ! toggles);
                        faults show as INJECTED and the diagnosis names the
                        rule. RULE is one of:
` + inject.Usage

func (f *injectFlags) register(fs *flag.FlagSet) {
	fs.Var((*multiFlag)(&f.injectRaw), "inject", "")
}

// validate parses every --inject value; the error names the rule and the
// bad value.
func (f *injectFlags) validate(targets int) error {
	f.Inject = nil
	for _, s := range f.injectRaw {
		r, err := inject.Parse(s)
		if err != nil {
			return err
		}
		if err := checkInject(r, targets); err != nil {
			return fmt.Errorf("--inject %q: %v", s, err)
		}
		f.Inject = append(f.Inject, r)
	}
	return nil
}

// checkInject refuses a rule this run cannot apply.
func checkInject(r inject.Rule, targets int) error {
	if r.Kind == inject.RerouteSid && targets < 2 {
		return errors.New("needs at least two --target to send a session to another upstream")
	}
	return nil
}

// injectSet is the rules of the run: the given ones on, every other rule
// available to the UI's fault menu but off (the --rules file adds its own
// when it loads, checked as --inject's are).
func (f *injectFlags) injectSet(targets int) *inject.Set {
	set := inject.NewSet(f.Inject)
	set.SetCheck(func(r inject.Rule) error {
		if err := checkInject(r, targets); err != nil {
			return fmt.Errorf("fault %q: %v", r.Text, err)
		}
		return nil
	})
	return set
}

// injectEngine is the rewrite layer the WebSocket rules act through: when
// the run has none (--control off, no --rules) one is made if a rule is
// given or the UI may switch one on, and otherwise the relay stays without
// one.
func (f *injectFlags) injectEngine(eng *active.Engine, ui bool) *active.Engine {
	if eng == nil && (len(f.Inject) > 0 || ui) {
		eng = active.New(active.Options{})
	}
	return eng
}

// announceInject says on stderr which rules are on, so a headless run's
// log starts with what was staged.
func announceInject(w io.Writer, set *inject.Set) {
	var on []string
	for _, e := range set.Entries() {
		if e.On() {
			on = append(on, e.Text)
		}
	}
	if len(on) > 0 {
		fmt.Fprintf(w, "sioproxy: injecting faults: %s (marked INJECTED; the diagnosis names the rule)\n", strings.Join(on, ", "))
	}
}

// InjectRules implements tui.Injector: the UI's "!" menu over the run's
// --inject rules (none in replay, where the menu stays closed).
func (s *uiSource) InjectRules() []tui.InjectRule {
	es := s.faults.Entries()
	out := make([]tui.InjectRule, len(es))
	for i, e := range es {
		out[i] = tui.InjectRule{Text: e.Text, On: e.On(), Given: e.Given, File: e.File(), Hits: e.Hits()}
	}
	return out
}

// ToggleInject implements tui.Injector.
func (s *uiSource) ToggleInject(i int) bool { return s.faults.Toggle(i) }

var _ tui.Injector = (*uiSource)(nil)

// chaosAnnouncer tells a headless `demo --chaos` run which rule is on; the
// UI shows it in its status bar instead.
func chaosAnnouncer(w io.Writer, ui bool) func(string) {
	if ui {
		return nil
	}
	return func(rule string) {
		if rule == "" {
			fmt.Fprintln(w, "sioproxy demo: no fault injected for a while")
			return
		}
		fmt.Fprintf(w, "sioproxy demo: now injecting --inject %s\n", rule)
	}
}
