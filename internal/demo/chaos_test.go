package demo

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// demo --chaos switches the rules on one after another, and each shows up
// as injected faults on the wire.
func TestDemoChaosCyclesRules(t *testing.T) {
	q := bus.NewQueue[obs.Obs](1 << 16)
	set := inject.NewSet(nil)
	var mu sync.Mutex
	var announced []string
	d, err := Start(context.Background(), Options{Sinks: []*bus.Queue[obs.Obs]{q}, Pace: 0.05, Faults: set, Chaos: true,
		OnChaos: func(r string) {
			mu.Lock()
			announced = append(announced, r)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rules := map[string]bool{}
	deadline := time.After(90 * time.Second) // a hang guard; a passing run takes a fraction
	for len(rules) < 5 {
		select {
		case o := <-q.C():
			if o.Kind == obs.KindInject {
				kind, _, _ := strings.Cut(o.Inject.Rule, "=")
				rules[kind] = true
			}
		case <-deadline:
			t.Fatalf("after 90 s only these rules injected faults: %v", rules)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(announced) < 2 || announced[0] != "no-upgrade" {
		t.Errorf("announced %q, want the cycle to start with no-upgrade", announced)
	}
}
