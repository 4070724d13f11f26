package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestTrim(t *testing.T) {
	args := json.RawMessage(`["` + strings.Repeat("é", 100_000) + `"]`)
	raw := bytes.Repeat([]byte{1}, 300_000)
	buf := bytes.Repeat([]byte{2}, 200_000)
	ev := Event{Args: args, Raw: raw, Buffers: [][]byte{buf}, ArgsCompact: true, Data: strings.Repeat("d", 100_000)}
	orig := ev
	cut := ev.Trim(64 << 10)
	if cut <= 0 || ev.Trimmed != cut {
		t.Fatalf("cut %d, Trimmed %d", cut, ev.Trimmed)
	}
	if !json.Valid(ev.Args) || ev.ArgsCompact {
		t.Fatalf("args %q, compact %v", ev.Args, ev.ArgsCompact)
	}
	var sum struct {
		T    string `json:"_trimmed"`
		Head string `json:"head"`
	}
	if err := json.Unmarshal(ev.Args, &sum); err != nil || !strings.Contains(sum.T, "200004 bytes not kept") || !strings.Contains(sum.T, "sha256 ") || !strings.HasPrefix(sum.Head, `["éé`) {
		t.Fatalf("summary %+v %v", sum, err)
	}
	if len(ev.Raw) != rawHead || len(ev.Buffers[0]) != rawHead || len(ev.Data) > trimHead+4 {
		t.Fatalf("kept raw %d, attachment %d, data %d", len(ev.Raw), len(ev.Buffers[0]), len(ev.Data))
	}
	if ev.MemSize() > 20<<10 {
		t.Fatalf("trimmed event still %d bytes", ev.MemSize())
	}
	// The caller's slices are untouched: the output shares them.
	if len(orig.Args) != len(args) || orig.Raw[0] != 1 || &orig.Buffers[0][0] != &buf[0] {
		t.Fatal("Trim wrote through to shared slices")
	}
	small := Event{Args: json.RawMessage(`[1]`), Raw: []byte("42[1]")}
	if small.Trim(64<<10) != 0 || string(small.Args) != "[1]" {
		t.Fatalf("small event changed: %+v", small)
	}
}
