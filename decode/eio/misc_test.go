package eio

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want Query
		v    Version
	}{
		{"EIO=4&transport=polling&t=N8hyd6w", Query{EIO: "4", Transport: "polling", T: "N8hyd6w", HasEIO: true}, V4},
		{"EIO=3&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC&b64=1", Query{EIO: "3", Transport: "websocket", Sid: "lv_VI97HAXpY6yYWAAAC", B64: true, HasEIO: true}, V3},
		{"transport=polling", Query{Transport: "polling"}, V3},
		{"EIO=5&transport=polling", Query{EIO: "5", Transport: "polling", HasEIO: true}, V3},
		{"EIO=4.1", Query{EIO: "4.1", HasEIO: true}, V3},
		{"EIO=3&transport=polling&j=0", Query{EIO: "3", Transport: "polling", JSONP: "0", HasJSONP: true, HasEIO: true}, V3},
		{"b64=&EIO=4", Query{EIO: "4", HasEIO: true}, V4},
		{"token=%zz&EIO=4&sid=a%2Bb", Query{EIO: "4", Sid: "a+b", HasEIO: true}, V4},
		{"EIO=4&EIO=3", Query{EIO: "4", HasEIO: true}, V4},
		{"", Query{}, V3},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got := ParseQuery(tc.raw)
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if v := got.Version(); v != tc.v {
				t.Fatalf("version %v, want %v", v, tc.v)
			}
		})
	}
}

func TestSniffVersion(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		ct   string
		v    Version
		ok   bool
	}{
		{"v3 open", []byte(v3Open), "text/plain; charset=UTF-8", V3, true},
		{"v3 empty payload", []byte("0:"), "", V3, true},
		{"v3 two", []byte("6:4hello6:4world"), "", V3, true},
		{"v3 XHR2", []byte{0x00, 0x01, 0xff, 0x34}, "application/octet-stream", V3, true},
		{"v3 binary record first", []byte{0x01, 0x02, 0xff, 0x04, 0x01}, "", V3, true},
		{"v4 open", []byte(v4Open), "text/plain", V4, true},
		{"v4 ping", []byte("2"), "", V4, true},
		{"v4 base64", []byte("bAQIDBA=="), "", V4, true},
		{"v4 digits and colon", []byte("412:30"), "", V4, true},
		{"v4 message with colon", []byte("42:x"), "", V4, true},
		{"POST answer ok", []byte("ok"), "text/html", 0, false},
		{"json error", []byte(`{"code":1,"message":"Session ID unknown"}`), "application/json", 0, false},
		{"empty", nil, "", 0, false},
		{"octet-stream garbage", []byte("zz"), "application/octet-stream", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := SniffVersion(tc.body, tc.ct)
			if v != tc.v || ok != tc.ok {
				t.Fatalf("got %v %v, want %v %v", v, ok, tc.v, tc.ok)
			}
		})
	}
}

func TestInflate(t *testing.T) {
	plain := []byte(strings.Repeat(`42["chat","hello"]`+"\x1e", 100))
	var gz, zl, raw bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw := zlib.NewWriter(&zl)
	zw.Write(plain)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	fw.Write(plain)
	fw.Close()

	tests := []struct {
		name string
		body []byte
		enc  string
	}{
		{"gzip", gz.Bytes(), "gzip"},
		{"gzip mixed case", gz.Bytes(), " GZip "},
		{"x-gzip", gz.Bytes(), "x-gzip"},
		{"deflate zlib", zl.Bytes(), "deflate"},
		{"deflate raw", raw.Bytes(), "deflate"},
		{"identity", plain, "identity"},
		{"none", plain, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inflate(tc.body, tc.enc, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("inflated %d bytes, want %d", len(got), len(plain))
			}
		})
	}
	t.Run("over the cap", func(t *testing.T) {
		if _, err := Inflate(gz.Bytes(), "gzip", len(plain)-1); err == nil {
			t.Fatal("no error")
		}
		if got, err := Inflate(gz.Bytes(), "gzip", len(plain)); err != nil || len(got) != len(plain) {
			t.Fatalf("exactly at the cap: %d bytes, %v", len(got), err)
		}
		if _, err := Inflate(plain, "identity", 10); err == nil {
			t.Fatal("identity over the cap accepted")
		}
	})
	t.Run("bomb", func(t *testing.T) {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(make([]byte, 64<<20))
		w.Close()
		if _, err := Inflate(b.Bytes(), "gzip", 1<<20); err == nil || !strings.Contains(err.Error(), "cap") {
			t.Fatalf("64 MiB bomb: %v", err)
		}
	})
	t.Run("unknown encoding", func(t *testing.T) {
		_, err := Inflate(plain, "br", 1<<20)
		if err == nil || !strings.Contains(err.Error(), `"br"`) {
			t.Fatalf("err = %v, want it to name br", err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		for _, enc := range []string{"gzip", "deflate"} {
			if _, err := Inflate([]byte("definitely not compressed"), enc, 1<<20); err == nil {
				t.Fatalf("%s accepted garbage", enc)
			}
		}
		if _, err := Inflate(gz.Bytes()[:len(gz.Bytes())/2], "gzip", 1<<20); err == nil {
			t.Fatal("truncated gzip accepted")
		}
	})
}

// gzipBomb is 64 MiB of zeros, gzipped (about 64 KB).
func gzipBomb(t testing.TB) []byte {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	return gz.Bytes()
}

// A gzip body whose trailer says it inflates past the cap is refused
// without allocating the cap: each bomb of a flood used to leave max bytes
// of garbage (16 MiB by default), which took a proxy under 40 bombs far
// above its memory budget. A trailer that lies is still handled as before.
func TestInflateBombAllocatesNoCap(t *testing.T) {
	bomb := gzipBomb(t)
	const max = 16 << 20
	Inflate(bomb, "gzip", max) // warm the reader pool
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	_, err := Inflate(bomb, "gzip", max)
	runtime.ReadMemStats(&b)
	if err == nil || !strings.Contains(err.Error(), "16777216-byte cap") {
		t.Fatalf("bomb: %v, want the cap error", err)
	}
	if got := b.TotalAlloc - a.TotalAlloc; got > 1<<20 {
		t.Errorf("%d bytes allocated to refuse a bomb over a %d-byte cap, want under 1 MiB", got, max)
	}

	// A small body whose trailer claims 1 GiB: gzip's own check refuses it.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, `0{"sid":"x"}`)
	zw.Close()
	liar := gz.Bytes()
	binary.LittleEndian.PutUint32(liar[len(liar)-4:], 1<<30)
	if _, err := Inflate(liar, "gzip", max); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("lying trailer: %v, want a corrupt-body error", err)
	}
}

func BenchmarkInflateGzipBomb(b *testing.B) {
	bomb := gzipBomb(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inflate(bomb, "gzip", 16<<20); err == nil {
			b.Fatal("no cap error")
		}
	}
}
