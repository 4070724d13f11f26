package main

import (
	"flag"
	"fmt"

	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// injectFlags is --inject (issue 14): faults staged on purpose.
type injectFlags struct {
	injectRaw []string
	Inject    []inject.Rule
}

const injectUsage = `  --inject RULE         stage a production failure, repeatable; the faults show as
                        INJECTED and the diagnosis names the rule. RULE is one of:
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
		if r.Kind == inject.RerouteSid && targets < 2 {
			return fmt.Errorf("--inject %q: needs at least two --target to send a session to another upstream", s)
		}
		f.Inject = append(f.Inject, r)
	}
	return nil
}

// injectSet is the rules of the run: the given ones on, every other rule
// available to the UI's fault menu but off. active is the rewrite layer
// the WebSocket rules act through; one is made if the run has none.
func (f *injectFlags) injectSet(eng *active.Engine) (*inject.Set, *active.Engine) {
	if eng == nil {
		eng = active.New(active.Options{})
	}
	return inject.NewSet(f.Inject), eng
}
