package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// TestChunkWriterDropsWholeLines fills a two-chunk queue behind a stuck
// output: what comes out is whole lines only, and the lines written plus
// the lines counted as dropped are every line, whatever their sizes.
func TestChunkWriterDropsWholeLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
	}{
		{"small lines", []int{100}},
		{"lines around the chunk size", []int{chunkSize - 1, 10, chunkSize + 1, 1}},
		{"huge lines", []int{3 * chunkSize, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &gate{release: make(chan struct{})}
			w := newChunkWriter(g, 2, 0, false)
			go w.loop()
			const lines = 600
			for i := range lines {
				n := tc.sizes[i%len(tc.sizes)]
				line := fmt.Sprintf("%06d %s\n", i, strings.Repeat("x", n))
				w.Write([]byte(line))
				if i%7 == 0 {
					w.Flush()
				}
			}
			w.Flush()
			close(g.release)
			w.close()
			if err := w.wait(); err != nil {
				t.Fatal(err)
			}
			out := g.String()
			if !strings.HasSuffix(out, "\n") {
				t.Fatalf("output ends mid-line: %q", out[max(0, len(out)-40):])
			}
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			prev := -1
			for _, l := range got {
				var i int
				var xs string
				if _, err := fmt.Sscanf(l, "%06d %s", &i, &xs); err != nil || i <= prev || len(xs) != tc.sizes[i%len(tc.sizes)] {
					t.Fatalf("broken or out-of-order line after #%d: %.40q", prev, l)
				}
				prev = i
			}
			if w.dropped.Load() == 0 {
				t.Fatal("nothing was dropped: the test did not fill the queue")
			}
			if total := uint64(len(got)) + w.dropped.Load(); total != lines {
				t.Errorf("%d written + %d dropped = %d, want %d", len(got), w.dropped.Load(), total, lines)
			}
		})
	}
}
