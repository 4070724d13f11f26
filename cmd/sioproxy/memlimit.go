package main

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/sioproxy/sioproxy/internal/gcpace"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

// limitEvery is how often the soft memory limit follows the connection
// count: connections open at most a few thousand a second, and a limit a
// second behind costs a few collections, not memory.
const limitEvery = time.Second

// followConns keeps the runtime's soft memory limit at the budget's plus
// an allowance for each open connection (membudget.RuntimeLimitFor), so
// that thousands of idle WebSockets do not hold the heap above a limit
// sized for one and make the collector run back to back. set applies a
// limit: the pacer's ceiling headless, debug.SetMemoryLimit in the UI. It
// looks every interval and returns when ctx ends.
func followConns(ctx context.Context, b membudget.Budget, conns func() int64, set func(int64), every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := b.RuntimeLimit()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l := b.RuntimeLimitFor(conns()); l != last {
			set(l)
			last = l
		}
	}
}

// limitSetter is how followConns applies a limit: through the pacer when
// one runs, else directly; nil when the user chose GOMEMLIMIT.
func limitSetter(pacer *gcpace.Pacer, env func(string) string) func(int64) {
	switch {
	case env("GOMEMLIMIT") != "":
		return nil
	case pacer != nil:
		return pacer.SetCeiling
	}
	return func(l int64) { debug.SetMemoryLimit(l) }
}
