package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkTrimSmall is the cost on every event the UI gets: nothing to trim.
func BenchmarkTrimSmall(b *testing.B) {
	ev := Event{Args: json.RawMessage(`[{"op":"get","key":"user:42"}]`), Raw: []byte(`42["echo",{"op":"get","key":"user:42"}]`)}
	b.ReportAllocs()
	for b.Loop() {
		e := ev
		e.Trim(64 << 10)
	}
}

// BenchmarkTrim1MB is a 1 MB event summarised (hash and head).
func BenchmarkTrim1MB(b *testing.B) {
	big := json.RawMessage(`["` + strings.Repeat("x", 1<<20) + `"]`)
	ev := Event{Args: big, Raw: []byte(`42["big",` + string(big[1:]))}
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	for b.Loop() {
		e := ev
		e.Trim(64 << 10)
	}
}
