package session

import (
	"os"
	"testing"
)

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			tr := NewTracker(Options{})
			evs := run(tr, sc.seq())
			if os.Getenv("SESSION_DUMP") != "" {
				for _, ev := range evs {
					t.Logf("DUMP %q,", summary(ev))
				}
			}
			for i, ev := range evs {
				got := summary(ev)
				if i >= len(sc.want) || got != sc.want[i] {
					t.Errorf("event %d = %q", i, got)
				}
			}
			if len(evs) != len(sc.want) {
				t.Errorf("%d events, want %d", len(evs), len(sc.want))
			}
			// Per direction, packet times never go backwards.
			var last [2]int64
			for _, ev := range evs {
				if ev.Kind != "packet" {
					continue
				}
				d := 0
				if ev.Dir == "s2c" {
					d = 1
				}
				if ns := ev.TS.UnixNano(); ns < last[d] {
					t.Errorf("%s packet at %v before the previous one", ev.Dir, ev.TS)
				} else {
					last[d] = ns
				}
			}
		})
	}
}
