package recordings

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// synthetic returns the i-th observation of an endless, typical session:
// mostly small event messages both ways, a binary one now and then, and a
// polling exchange every 64.
func synthetic(i int) obs.Obs {
	ts := t0.Add(time.Duration(i) * time.Millisecond)
	switch {
	case i%64 == 63:
		return obs.Obs{Kind: obs.KindHTTP, Time: ts, HTTP: &obs.HTTPExchange{
			ID: uint64(i), Client: "127.0.0.1:50000", Start: ts.Add(-time.Millisecond), End: ts,
			Method: "POST", URL: "/socket.io/?EIO=4&transport=polling&sid=lv_VI97HAXpY6yYWAAAC", Host: "localhost:8080", Proto: "HTTP/1.1",
			ReqHeader: map[string][]string{"Content-Type": {"text/plain;charset=UTF-8"}}, ReqBody: []byte(`42["tick",` + strconv.Itoa(i) + `]`), ReqLen: 16,
			Status: 200, RespHeader: map[string][]string{"Content-Type": {"text/html"}}, RespBody: []byte("ok"), RespLen: 2}}
	case i%16 == 15:
		o := wsMsg(0, 1, decode.S2C, 2, "\x00\x01\x02\x03\xfe\xff binary attachment payload")
		o.Time = ts
		return o
	default:
		dir := decode.Dir(i & 1)
		o := wsMsg(0, 1, dir, 1, `42["chat",{"from":"alice","room":"lobby","text":"message number `+strconv.Itoa(i)+`","ts":1741944413}]`)
		o.Time = ts
		return o
	}
}

func BenchmarkWriter(b *testing.B) {
	w := NewWriter(io.Discard, sampleHeader())
	var cw countingWriter
	w.dst = &cw
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := w.Write(synthetic(n)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	w.Flush()
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/secs, "obs/s")
	b.ReportMetric(float64(cw.n)/secs/1e6, "MB/s")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkReader(b *testing.B) {
	const count = 10000
	var buf bytes.Buffer
	w := NewWriter(&buf, sampleHeader())
	for i := range count {
		w.Write(synthetic(i))
	}
	w.Flush()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	total := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "obs/s")
}

// BenchmarkReplayLarge plays a large synthetic recording (default 64 MB,
// SIOPROXY_BENCH_REPLAY_MB=1024 for the 1 GB figure) as fast as possible and
// shows that memory stays flat: the heap in use before, at its sampled peak
// during, and after playback. Run it with -benchtime=1x.
func BenchmarkReplayLarge(b *testing.B) {
	mb := 64
	if s := os.Getenv("SIOPROXY_BENCH_REPLAY_MB"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SIOPROXY_BENCH_REPLAY_MB=%q is not a positive number", s)
		}
		mb = v
	}
	path := filepath.Join(b.TempDir(), "large.jsonl")
	w, err := Create(path, sampleHeader(), false)
	if err != nil {
		b.Fatal(err)
	}
	target := int64(mb) << 20
	var written int
	for ; ; written++ {
		if written%4096 == 0 {
			if st, err := os.Stat(path); err == nil && st.Size() >= target {
				break
			}
		}
		if err := w.Write(synthetic(written)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)

	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	before := heap()
	var peak float64
	var played int64
	start := time.Now()
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		err = Play(context.Background(), r, 0, func(o obs.Obs) error {
			n++
			if n%(1<<16) == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, float64(m.HeapInuse)/(1<<20))
			}
			return nil
		}, nil)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		if n != int64(written) {
			b.Fatalf("played %d observations, wrote %d", n, written)
		}
		played += n
	}
	secs := time.Since(start).Seconds()
	after := heap()
	b.SetBytes(st.Size())
	b.ReportMetric(float64(played)/secs, "packets/s")
	b.ReportMetric(float64(st.Size())/(1<<20), "file_MB")
	b.ReportMetric(before, "heap_before_MB")
	b.ReportMetric(peak, "heap_peak_MB")
	b.ReportMetric(after, "heap_after_MB")
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "replayed %d observations from %.0f MB\n", written, float64(st.Size())/(1<<20))
	}
}
