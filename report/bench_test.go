package report

import (
	"bytes"
	"io"
	"testing"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/internal/synthrec"
	"github.com/sioproxy/sioproxy/recordings"
)

// BenchmarkBuild is the report's cost per byte of recording: reading,
// decoding, diagnosing, the stats and the sampled packet list.
func BenchmarkBuild(b *testing.B) {
	var rec bytes.Buffer
	if _, err := synthrec.Write(&rec, synthrec.Options{Sessions: 20, Messages: 200, Payload: 200}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(rec.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := recordings.NewReader(bytes.NewReader(rec.Bytes()), "rec.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		opt := Options{MaxPackets: 2000, Now: fixed}
		opt.Session.Diagnoser = diagnose.New(diagnose.Options{})
		d, err := Build(r, "rec.jsonl", opt)
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
