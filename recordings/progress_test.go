package recordings

import (
	"path/filepath"
	"testing"
)

// Progress moves with the observations returned, not with the chunks read
// ahead: a small recording is not 100% done after its first observation,
// plain or gzip.
func TestProgressFollowsPlayback(t *testing.T) {
	for _, name := range []string{"rec.jsonl", "rec.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Create(path, sampleHeader(), false)
			if err != nil {
				t.Fatal(err)
			}
			obs := sampleSession()
			for _, o := range obs {
				if err := w.Write(o); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var last int64
			for i := range obs {
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
				done, total := r.Progress()
				if total <= 0 {
					t.Fatalf("total %d: the size must be known for a regular file", total)
				}
				if done <= last || (i < len(obs)-1 && done >= total) {
					t.Fatalf("after observation %d of %d: progress %d/%d (before %d)", i+1, len(obs), done, total, last)
				}
				last = done
			}
			if _, err := r.Next(); err == nil {
				t.Fatal("no EOF after the last observation")
			}
			if done, total := r.Progress(); done != total {
				t.Fatalf("at the end progress %d/%d", done, total)
			}
		})
	}
}
