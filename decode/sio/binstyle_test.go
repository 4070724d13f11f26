package sio

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendBinaryStyles(t *testing.T) {
	b := make([]byte, 100)
	for i := range b {
		b[i] = byte(i)
	}
	sum := sha256.Sum256(b)
	tests := []struct {
		st   BinaryStyle
		want string
	}{
		{BinaryFull, `{"_binary":"` + base64.StdEncoding.EncodeToString(b) + `"}`},
		{BinarySummary, `{"_binary":{"size":100,"sha256":"` + hex.EncodeToString(sum[:8]) + `","head":"` + hex.EncodeToString(b[:32]) + `"}}`},
		{BinaryNone, `{"_binary":{"size":100}}`},
	}
	for _, tc := range tests {
		t.Run(tc.st.String(), func(t *testing.T) {
			if got := string(AppendBinary(nil, b, tc.st)); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if got := string(AppendBinary(nil, []byte{0xde, 0xad}, BinarySummary)); !strings.Contains(got, `"head":"dead"`) || !strings.Contains(got, `"size":2`) {
		t.Fatalf("short buffer: %s", got)
	}
}

func TestParseBinaryStyle(t *testing.T) {
	for _, s := range []string{"full", "summary", "none"} {
		st, err := ParseBinaryStyle(s)
		if err != nil || st.String() != s {
			t.Fatalf("%s: %v %v", s, st, err)
		}
	}
	if _, err := ParseBinaryStyle("hex"); err == nil || err.Error() != `"hex": want full, summary or none` {
		t.Fatalf("err %v", err)
	}
}

func TestReplacePlaceholdersStyle(t *testing.T) {
	data := []byte(`["up",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]`)
	bufs := [][]byte{{1, 2, 3}, nil}
	b64 := [][]byte{nil, []byte("BAUG")} // 4 5 6, held only as text
	got, err := ReplacePlaceholdersStyle(data, bufs, b64, BinarySummary)
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := sha256.Sum256([]byte{1, 2, 3}), sha256.Sum256([]byte{4, 5, 6})
	want := `["up",{"_binary":{"size":3,"sha256":"` + hex.EncodeToString(s1[:8]) + `","head":"010203"}},{"x":{"_binary":{"size":3,"sha256":"` + hex.EncodeToString(s2[:8]) + `","head":"040506"}}}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	full, _ := ReplacePlaceholdersStyle(data, bufs, b64, BinaryFull)
	if want := `["up",{"_binary":"AQID"},{"x":{"_binary":"BAUG"}}]`; string(full) != want {
		t.Fatalf("full: %s", full)
	}
	if _, err := ReplacePlaceholdersStyle([]byte(`[{"_placeholder":true,"num":5}]`), bufs, nil, BinaryNone); err == nil {
		t.Fatal("a placeholder naming no attachment must fail")
	}
}

func TestRestyleInline(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[{"_binary":"AQID"},"x"]`, `[{"_binary":{"size":3}},"x"]`},
		{`["{\"_binary\":\"AQID\"}"]`, `["{\"_binary\":\"AQID\"}"]`}, // inside a string: data
		{`[{"_binary":"not base64!"}]`, `[{"_binary":"not base64!"}]`},
		{`[{"_binary":"AQID","more":1}]`, `[{"_binary":"AQID","more":1}]`},
		{`[1,2]`, `[1,2]`},
	}
	for _, tc := range tests {
		if got := string(RestyleInline([]byte(tc.in), BinaryNone)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Whatever the input, a restyled valid JSON value stays valid JSON, and
// full style changes nothing.
func FuzzRestyleInline(f *testing.F) {
	f.Add([]byte(`[{"_binary":"AQID"},{"a":{"_binary":"BAUG"}}]`), uint8(1))
	f.Add([]byte(`{"_binary":""}`), uint8(2))
	f.Add([]byte(`["{\"_binary\":\"AQID\"}"]`), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, style uint8) {
		st := BinaryStyle(style % 3)
		out := RestyleInline(in, st)
		if st == BinaryFull && !bytes.Equal(out, in) {
			t.Fatal("full style changed the args")
		}
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid %s became invalid %s", in, out)
		}
	})
}
