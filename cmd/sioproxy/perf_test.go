package main

import (
	"os"
	goruntime "runtime"
	"testing"
)

func TestHalfProcs(t *testing.T) {
	for _, tc := range []struct{ cpus, want int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 2}, {4, 2}, {8, 4}, {64, 32},
	} {
		t.Run("", func(t *testing.T) {
			if got := halfProcs(tc.cpus); got != tc.want {
				t.Errorf("halfProcs(%d) = %d, want %d", tc.cpus, got, tc.want)
			}
		})
	}
}

// A local replay is a batch job: it runs on every CPU, where the proxy
// leaves half of them to the app it watches.
func TestReplayUsesEveryCPU(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set: the user's choice wins")
	}
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(0))
	goruntime.GOMAXPROCS(1) // as setupProcess leaves it on 2 CPUs
	path, _ := synthRecording(t, 1)
	if code, _, stderr := runCmd(t, "replay", path, "--json"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := goruntime.GOMAXPROCS(0)
	goruntime.SetDefaultGOMAXPROCS()
	if want := goruntime.GOMAXPROCS(0); got != want {
		t.Errorf("GOMAXPROCS after the replay = %d, want %d", got, want)
	}
}
