package rules

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// PollInterval is how often Watch looks at the file's size and time.
const PollInterval = 300 * time.Millisecond

// Watch loads the rules file at path, registers it on e, hands its fault
// entries to faults (the --inject rule set; may be nil), and reloads it
// when its contents change until ctx ends. The first load's error is
// returned; a later file that does not parse is reported through logf and
// the rules in force stay.
func Watch(ctx context.Context, path string, e *active.Engine, faults *inject.Set, parse ParseFilter, logf func(format string, args ...any)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--rules: %w", err)
	}
	set, err := ParseFile(path, data, parse)
	if err == nil {
		err = faults.Check(set.Faults())
	}
	if err != nil {
		return fmt.Errorf("--rules %s: %w", path, err)
	}
	cur, err := install(ctx, e, set)
	if err != nil {
		return err
	}
	faults.SetFile(set.Faults())
	go func() {
		t := time.NewTicker(PollInterval)
		defer t.Stop()
		defer func() { cur() }()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			nd, err := os.ReadFile(path)
			if err != nil || bytes.Equal(nd, data) {
				continue // a file being replaced may be missing for a moment
			}
			data = nd
			ns, err := ParseFile(path, nd, parse)
			if err == nil {
				err = faults.Check(ns.Faults())
			}
			if err != nil {
				logf("sioproxy: --rules %s: %v (the previous rules stay in force)", path, err)
				continue
			}
			next, err := install(ctx, e, ns)
			if err != nil {
				logf("sioproxy: --rules %s: %v", path, err)
				continue
			}
			cur()
			cur = next
			faults.SetFile(ns.Faults())
			logf("sioproxy: --rules %s reloaded: %d rules, %d faults", path, ns.Len(), len(ns.Faults()))
		}
	}()
	return nil
}

// install registers set (when it has message rules) and starts its timed
// injects; the returned function undoes both.
func install(ctx context.Context, e *active.Engine, set *Set) (func(), error) {
	unreg := func() {}
	if set.Len() > 0 {
		u, err := e.Register(set)
		if err != nil {
			return nil, err
		}
		unreg = u
	}
	tctx, cancel := context.WithCancel(ctx)
	for _, r := range set.rules {
		if r.EveryS > 0 {
			go r.every(tctx, e)
		}
	}
	return func() { cancel(); unreg() }, nil
}

// every injects r into every live session each EveryS seconds.
func (r *compiled) every(ctx context.Context, e *active.Engine) {
	t := time.NewTicker(time.Duration(r.EveryS * float64(time.Second)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		in := r.Inject
		for _, s := range e.Sessions() {
			if s.Sid == "" {
				continue
			}
			e.Inject(s.Sid, active.Injection{As: r.as, Nsp: in.Nsp, Event: in.Event, Args: in.Args, Ack: in.Ack, Rule: r.Name})
		}
	}
}
