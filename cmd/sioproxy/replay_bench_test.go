package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/synthrec"
	"github.com/sioproxy/sioproxy/recordings"
)

// synthRecording writes a synthetic recording of about mb MiB and returns
// its path and how many observations it holds.
func synthRecording(tb testing.TB, mb int) (string, int) {
	path := filepath.Join(tb.TempDir(), "synth.jsonl")
	w, err := recordings.Create(path, recordings.Header{Mode: "reverse", Target: "http://127.0.0.1:3000", Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, false)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := synthrec.WriteMixed(w, int64(mb)<<20, func() int64 {
		st, _ := os.Stat(path)
		return st.Size()
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return path, n
}

// The synthetic recording is realistic traffic: replayed, it decodes
// without an error or a fault, and every round trip comes out as an EVENT
// (or BINARY_EVENT) and an ACK.
func TestSyntheticRecordingReplaysClean(t *testing.T) {
	path, n := synthRecording(t, 1)
	code, out, stderr := runCmd(t, "replay", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var events, acks int
	for _, l := range out {
		switch {
		case strings.Contains(l, `"kind":"error"`), strings.Contains(l, `"kind":"fault"`), strings.Contains(l, `"kind":"drop"`):
			t.Fatalf("replaying the synthetic recording: %s", l)
		case strings.Contains(l, `"type":"EVENT"`), strings.Contains(l, `"type":"BINARY_EVENT"`):
			events++
		case strings.Contains(l, `"type":"ACK"`):
			acks++
		}
	}
	if events == 0 || events != acks || len(out) < n/2 {
		t.Fatalf("%d observations gave %d lines, %d EVENTs and %d ACKs", n, len(out), events, acks)
	}
}

// BenchmarkReplayJSON is `sioproxy replay FILE --json` (decoding,
// diagnosis, JSON Lines into a file) of a synthetic recording: 32 MiB by
// default, SIOPROXY_BENCH_REPLAY_MB=1024 for the 1 GB figure, or the
// native recording SIOPROXY_BENCH_REPLAY_FILE names. It reports
// observations per second and the heap: before, sampled peak during the
// replay, after. Run with -benchtime=1x.
func BenchmarkReplayJSON(b *testing.B) {
	mb := 32
	if s := os.Getenv("SIOPROXY_BENCH_REPLAY_MB"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SIOPROXY_BENCH_REPLAY_MB=%q is not a positive number", s)
		}
		mb = v
	}
	var path string
	var n int
	if path = os.Getenv("SIOPROXY_BENCH_REPLAY_FILE"); path != "" {
		// A recording made before (profiling without its making).
		n = countObservations(b, path)
	} else {
		path, n = synthRecording(b, mb)
	}
	out, err := os.Create(filepath.Join(b.TempDir(), "out.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	heap := func() float64 {
		var m goruntime.MemStats
		goruntime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	goruntime.GC()
	before := heap()
	peak := before
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				peak = max(peak, heap())
			}
		}
	}()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		out.Truncate(0)
		out.Seek(0, io.SeekStart)
		if err := runReplay(context.Background(), []string{path, "--json"}, out, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	secs := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	close(stop)
	<-sampled
	goruntime.GC()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportMetric(float64(n*b.N)/secs, "obs/s")
	// On a shared machine, what one CPU second does is the steadier figure.
	b.ReportMetric(float64(n*b.N)/cpu, "obs/cpu-s")
	b.ReportMetric(float64(st.Size())/(1<<20), "file_MiB")
	b.ReportMetric(before, "heap_before_MiB")
	b.ReportMetric(peak, "heap_peak_MiB")
	b.ReportMetric(heap(), "heap_after_MiB")
	// Nothing may be lost: a replay waits for its output.
	out.Seek(0, io.SeekStart)
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"kind":"drop"`)) {
			b.Fatalf("the replay dropped: %s", sc.Text())
		}
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countObservations counts the observation lines of a native recording.
func countObservations(tb testing.TB, path string) int {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n - 1 // the header
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}
