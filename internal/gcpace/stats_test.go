package gcpace

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func readStats(t *testing.T) map[string]int64 {
	t.Helper()
	var b bytes.Buffer
	if err := WriteStats(&b); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, f := range strings.Fields(b.String()) {
		k, v, ok := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("field %q of %q is not key=integer", f, b.String())
		}
		out[k] = n
	}
	return out
}

// WriteStats reports the limit in force and figures that move with the
// heap, in bytes, so that the soak can put them beside RSS.
func TestWriteStats(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(123 << 20))
	runtime.GC()
	before := readStats(t)
	for _, k := range []string{"limit", "live", "goal", "released", "free", "nonheap", "cycles", "started"} {
		if _, ok := before[k]; !ok {
			t.Fatalf("no %s in %v", k, before)
		}
	}
	if before["limit"] != 123<<20 {
		t.Errorf("limit %d, want the one in force, %d", before["limit"], 123<<20)
	}
	if before["live"] <= 0 || before["goal"] < before["live"] || before["nonheap"] <= 0 {
		t.Errorf("live %d, goal %d, nonheap %d: want 0 < live <= goal and nonheap > 0", before["live"], before["goal"], before["nonheap"])
	}
	runtime.GC()
	if after := readStats(t); after["cycles"] <= before["cycles"] {
		t.Errorf("cycles %d after a collection, was %d", after["cycles"], before["cycles"])
	}
}
