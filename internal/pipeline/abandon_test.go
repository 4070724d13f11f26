package pipeline

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// An output nobody reads (stdout piped into a stuck program) must not hold
// the shutdown once the user insists: Run returns when Abandon closes and
// counts the lines that never got out, lossless (replay) or not.
func TestAbandonBlockedOutput(t *testing.T) {
	for _, lossless := range []bool{false, true} {
		t.Run("lossless="+strconv.FormatBool(lossless), func(t *testing.T) {
			in := bus.NewQueue[obs.Obs](1 << 12)
			const sessions = 200
			for i := range sessions {
				for _, o := range wsSession(uint64(i+1), "S"+strconv.Itoa(i)) {
					in.Push(o)
				}
			}
			in.Close()
			g := &gate{release: make(chan struct{})}
			defer close(g.release) // lets the writer goroutine end for goleak
			abandon := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), Config{In: in, Out: g, Format: "json", OutQueue: 2, Lossless: lossless, Abandon: abandon})
			}()
			select {
			case err := <-done:
				t.Fatalf("Run returned %v while its output was blocked", err)
			case <-time.After(50 * time.Millisecond):
				// Not a timing assertion: Run must still be waiting.
			}
			close(abandon)
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run still blocked after Abandon closed")
			}
			var uerr *UnwrittenError
			if !errors.As(err, &uerr) {
				t.Fatalf("Run = %v, want *UnwrittenError", err)
			}
			if uerr.Lines == 0 || uerr.Lines > sessions*6 {
				t.Errorf("%d lines not written, want between 1 and %d", uerr.Lines, sessions*6)
			}
		})
	}
}
