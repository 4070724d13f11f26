package pipeline

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// Every path into the tracker applies Filter: it is --redact, and the
// tick's catch-up once bypassed it.
func TestCatchUpFilters(t *testing.T) {
	filtered := 0
	a := &analyzer{
		cfg: Config{Filter: func(o obs.Obs) obs.Obs { filtered++; return o }},
		tr:  session.NewTracker(session.Options{}),
	}
	a.emitFn = func(event.Event) {}
	in := make(chan obs.Obs, 3)
	for range 3 {
		in <- obs.Obs{Kind: obs.KindWSOpen, WSOpen: &obs.WSOpen{Conn: 1}}
	}
	if !a.catchUp(in) {
		t.Fatal("catchUp reported a closed queue")
	}
	if filtered != 3 {
		t.Fatalf("Filter saw %d of the 3 observations caught up on", filtered)
	}
}
