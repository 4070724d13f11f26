package recordings

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

func writeNative(t testing.TB, hdr Header, os []obs.Obs) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, hdr)
	for _, o := range os {
		if err := w.Write(o); err != nil {
			t.Fatalf("Write %s: %v", o.Kind, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNativeGoldenAndRoundTrip(t *testing.T) {
	want := sampleSession()
	b := writeNative(t, sampleHeader(), want)
	golden(t, "session.jsonl", b)

	r, err := NewReader(bytes.NewReader(b), "session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Format != 1 || h.Mode != "reverse" || !h.Started.Equal(t0) || h.Version != "test" {
		t.Errorf("header = %+v", h)
	}
	got := readAll(t, r)
	assertObsEqual(t, want, got, false)
	if w := r.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	// The offset of a time survives, not just its instant.
	if _, off := got[1].HTTP.Start.Zone(); off != 7200 {
		t.Errorf("zone offset = %d, want 7200", off)
	}
}

func TestNativeLineShape(t *testing.T) {
	b := writeNative(t, sampleHeader(), sampleSession())
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	tests := []struct {
		line int
		want string
	}{
		{0, `{"sioproxy":1,"mode":"reverse","target":"http://localhost:3000","started":"2025-03-14T09:26:53.589793238Z","version":"test"}`},
		{6, `{"kind":"ws.msg","conn":5,"dir":"c2s","ts":"2025-03-14T09:26:53.630793238Z","opcode":1,"compressed":false,"wire_len":12,"frames":1,"len":6,"data":"2probe","enc":"utf8"}`},
		{11, `{"kind":"ws.msg","conn":5,"dir":"s2c","ts":"2025-03-14T09:26:53.641793238Z","opcode":2,"compressed":false,"wire_len":10,"frames":1,"len":4,"data":"AAEC/w==","enc":"base64"}`},
		{18, `{"kind":"drop","ts":"2025-03-14T09:26:53.679793238Z","count":3,"where":"recorder"}`},
	}
	for _, tc := range tests {
		t.Run(tc.want[:20], func(t *testing.T) {
			if lines[tc.line] != tc.want {
				t.Errorf("line %d:\n got %s\nwant %s", tc.line+1, lines[tc.line], tc.want)
			}
		})
	}
}

func TestGzipRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.jsonl.gz")
	w, err := Create(path, sampleHeader(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleSession()
	for _, o := range want {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		t.Fatalf("file is not gzip: % x", raw[:min(len(raw), 4)])
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	assertObsEqual(t, want, readAll(t, r), false)
	zr, _ := gzip.NewReader(bytes.NewReader(raw))
	plain, _ := io.ReadAll(zr)
	if done, total := r.Progress(); done != total || total != int64(len(plain)) {
		t.Errorf("progress = %d/%d, want %d/%d (the uncompressed size)", done, total, len(plain), len(plain))
	}
}

// A gzip recording whose writer was killed after a flush but before Close
// has no gzip trailer; what was flushed must still load.
func TestGzipKilledWriter(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := &Writer{dst: zw, gz: zw}
	w.writeHeader(sampleHeader())
	want := sampleSession()[:5]
	for _, o := range want {
		w.Write(o)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "killed.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	assertObsEqual(t, want, readAll(t, r), false)
	if ws := r.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "gzip stream truncated") {
		t.Errorf("warnings = %q, want one about the truncated gzip stream", ws)
	}
}

func TestTornLastLine(t *testing.T) {
	b := writeNative(t, sampleHeader(), sampleSession())
	lines := bytes.SplitAfter(b, []byte("\n"))
	n := len(lines) - 1 // SplitAfter leaves an empty tail
	for _, cut := range []int{1, 10, len(lines[n-1]) - 2} {
		torn := append(bytes.Join(lines[:n-1], nil), lines[n-1][:cut]...)
		r, err := NewReader(bytes.NewReader(torn), "rec.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, r)
		assertObsEqual(t, sampleSession()[:len(sampleSession())-1], got, false)
		ws := r.Warnings()
		if len(ws) != 1 || !strings.Contains(ws[0], "rec.jsonl:19: skipped torn last line") {
			t.Errorf("cut %d: warnings = %q", cut, ws)
		}
	}
}

func TestCorruptLines(t *testing.T) {
	good := string(writeNative(t, sampleHeader(), sampleSession()[:3]))
	lines := strings.SplitAfter(good, "\n")
	withLine3 := func(s string) string { return lines[0] + lines[1] + s + "\n" + lines[3] }
	tests := []struct {
		name, input, want string
	}{
		{"bad JSON in the middle", withLine3(`{"kind":"http",`), `rec.jsonl:3: invalid JSON: unexpected end of JSON input`},
		{"garbage in the middle", withLine3(`hello`), `rec.jsonl:3: invalid JSON: invalid character 'h' looking for beginning of value (at byte 1)`},
		{"bad base64", withLine3(`{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":2,"data":"!!","enc":"base64"}`), `rec.jsonl:3: ws.msg: data: invalid base64`},
		{"bad dir", withLine3(`{"kind":"ws.msg","conn":1,"dir":"up","opcode":1,"data":"x"}`), `rec.jsonl:3: ws.msg: dir: "up" is neither "c2s" nor "s2c"`},
		{"len mismatch", withLine3(`{"kind":"ws.msg","conn":1,"dir":"c2s","opcode":1,"data":"abc","len":4}`), `rec.jsonl:3: ws.msg: len: 4 but data holds 3 bytes`},
		{"wrong type", withLine3(`{"kind":"http","status":"200"}`), `rec.jsonl:3: invalid JSON: field "status": string is not a int`},
		{"bad enc", withLine3(`{"kind":"http","req_body":"x","req_enc":"hex"}`), `rec.jsonl:3: http: req_body: unknown encoding "hex"`},
		{"missing kind", withLine3(`{"ts":"2025-01-01T00:00:00Z"}`), `rec.jsonl:3: line: kind: missing`},
		{"newer version", `{"sioproxy":2}` + "\n", `rec.jsonl: recording format version 2 is newer than this sioproxy reads (1): upgrade sioproxy`},
		{"no version", `{"mode":"reverse"}` + "\n", `rec.jsonl:1: not a sioproxy recording or HAR: first line has no "sioproxy" version field`},
		{"empty", "", `rec.jsonl: empty file: not a sioproxy recording or HAR`},
		{"not json", "PK\x03\x04", `rec.jsonl:1: not a sioproxy recording or HAR: header: invalid character 'P' looking for beginning of value (at byte 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.input), "rec.jsonl")
			for err == nil {
				_, err = r.Next()
			}
			if errors.Is(err, io.EOF) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

func TestUnknownKindSkipped(t *testing.T) {
	in := `{"sioproxy":1}` + "\n" + `{"kind":"quic.stream","id":1}` + "\n" +
		`{"kind":"drop","ts":"2025-01-01T00:00:00Z","count":1}` + "\n\n"
	r, err := NewReader(strings.NewReader(in), "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if len(got) != 1 || got[0].Kind != obs.KindDrop || got[0].Drop.Count != 1 {
		t.Errorf("got %+v", got)
	}
	if ws := r.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], `rec.jsonl:2: skipped line of unknown kind "quic.stream"`) {
		t.Errorf("warnings = %q", ws)
	}
}

func TestLineTooLong(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	in := io.MultiReader(strings.NewReader(`{"sioproxy":1}`+"\n"+`{"kind":"http","url":"`),
		io.LimitReader(repeatReader('a'), MaxLine+10), strings.NewReader("\"}\n{}\n"))
	r, err := NewReader(in, "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if err == nil || err.Error() != "rec.jsonl:2: line longer than 64 MiB" {
		t.Errorf("err = %v", err)
	}
}

type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestWriteBadObs(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, sampleHeader())
	if err := w.Write(obs.Obs{Kind: obs.KindHTTP}); err == nil || err.Error() != `obs kind "http" without HTTP` {
		t.Errorf("err = %v", err)
	}
	if err := w.Write(sampleSession()[0]); err != nil {
		t.Errorf("writer poisoned by a bad observation: %v", err)
	}
	w.Flush()
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("%d lines written, want 2", n)
	}
}

func TestRecorder(t *testing.T) {
	q := bus.NewQueue[obs.Obs](4)
	var buf bytes.Buffer
	w := NewWriter(&buf, sampleHeader())
	rec := NewRecorder(q, w)
	rec.now = func() time.Time { return at(1000) }
	want := sampleSession()[:6]
	for _, o := range want {
		q.Push(o) // the last two are dropped: capacity 4
	}
	q.Close()
	if err := rec.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf, "rec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	wantOut := append(append([]obs.Obs{}, want[:4]...), obs.Obs{Kind: obs.KindDrop, Time: at(1000), Drop: &obs.Drop{Count: 2, Where: "recorder"}})
	assertObsEqual(t, wantOut, got, false)
}

func TestRecorderStopsOnCancel(t *testing.T) {
	q := bus.NewQueue[obs.Obs](8)
	var buf bytes.Buffer
	rec := NewRecorder(q, NewWriter(&buf, sampleHeader()))
	q.Push(sampleSession()[0])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Whether the queued item was taken before the cancel was seen or by
	// the drain, it must be in the file.
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("%d lines written, want header and 1 observation:\n%s", n, buf.String())
	}
}

// Recordings hold secrets unless redacted, so a new one is private; a file
// the user already made keeps the mode they gave it.
func TestCreateFileMode(t *testing.T) {
	tests := []struct {
		name     string
		existing os.FileMode // 0: no file yet
		want     os.FileMode
	}{
		{"new", 0, 0o600},
		{"existing", 0o644, 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.jsonl")
			if tc.existing != 0 {
				if err := os.WriteFile(path, []byte("old contents\n"), tc.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tc.existing) // past the umask
			}
			w, err := Create(path, sampleHeader(), false)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.want {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.want)
			}
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), "old contents") {
				t.Error("the old contents were not truncated")
			}
		})
	}
}
