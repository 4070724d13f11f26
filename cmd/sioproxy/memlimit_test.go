package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/gcpace"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

func TestFollowConns(t *testing.T) {
	b := membudget.Budget{Total: 256 << 20}
	var n atomic.Int64
	got := make(chan int64, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		followConns(ctx, b, n.Load, func(l int64) { got <- l }, time.Millisecond)
	}()
	// wait reads limits until want arrives; each step must reach it.
	wait := func(want int64) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l := <-got:
				if l == want {
					return
				}
			case <-timeout:
				t.Fatalf("limit never became %d", want)
			}
		}
	}
	for _, conns := range []int64{9800, 10, 0} {
		n.Store(conns)
		wait(b.RuntimeLimit() + conns*membudget.PerConn)
	}
	cancel()
	<-done
	select {
	case l := <-got:
		t.Fatalf("limit %d set with the connection count unchanged", l)
	default:
	}
}

func TestLimitSetter(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	if limitSetter(nil, env("1GiB")) != nil {
		t.Error("GOMEMLIMIT set by the user: the limit must be left alone")
	}
	if limitSetter(nil, env("")) == nil {
		t.Error("no pacer and no GOMEMLIMIT: want a setter")
	}
	var p *gcpace.Pacer
	if limitSetter(p, env("")) == nil {
		t.Error("nil pacer: want the direct setter")
	}
}
