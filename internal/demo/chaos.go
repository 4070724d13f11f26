package demo

import (
	"context"
	"time"

	"github.com/sioproxy/sioproxy/proxy/inject"
)

// chaosStep is how long `sioproxy demo --chaos` keeps each rule on (scaled
// by the pace): long enough for the demo app's heartbeat (5 s + 5 s) to
// fail and for the clients to reconnect.
const chaosStep = 20 * time.Second

// chaosKinds are the rules the demo cycles through. reroute-sid is left
// out: the demo's second relay already balances without sticky sessions.
var chaosKinds = []inject.Kind{
	inject.NoUpgrade, inject.SwallowProbe, inject.DropPongs, inject.DropPings, inject.CutWS,
	inject.CutPoll, inject.FailPolls, inject.StripCORS, inject.Delay, inject.Bandwidth,
	inject.Loss, inject.Corrupt, inject.Oversize,
}

// cycleFaults switches on one rule after another until ctx ends, with a
// healthy pause between two, and calls announce with each rule ("" for
// the pauses).
func (s *script) cycleFaults(ctx context.Context, set *inject.Set, announce func(string)) {
	defer set.EnableOnly("")
	for {
		for _, k := range chaosKinds {
			set.EnableOnly(k)
			if e := set.Get(k); e != nil && announce != nil {
				announce(e.Text)
			}
			if !s.sleep(ctx, chaosStep) {
				return
			}
			set.EnableOnly("")
			if announce != nil {
				announce("")
			}
			if !s.sleep(ctx, chaosStep/4) {
				return
			}
		}
	}
}
