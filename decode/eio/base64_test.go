package eio

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/sioproxy/sioproxy/decode/internal/b64"
)

func TestCanonicalBase64(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want bool
	}{
		{"QQ==", 1, true},
		{"QUI=", 2, true},
		{"QUJD", 3, true},
		{"AAECAwQFBgcICQoL", 12, true},
		{"+/+/", 3, true},
		{"QR==", 0, false}, // set padding bits: decodes to "A", re-encodes as "QQ=="
		{"QUJ=", 0, false}, // likewise "AB" re-encodes as "QUI="
		{"QQ", 0, false},   // unpadded: Node sends it, StdEncoding would add "=="
		{"QUJ", 0, false},
		{"", 0, false},
		{"====", 0, false},
		{"Q===", 0, false},
		{"QQ=A", 0, false},
		{"QQ\n=", 0, false},
		{"QUJD\r\nQUJD", 0, false},
		{"-_-_", 0, false}, // URL alphabet
		{"QUJ\x80", 0, false},
		{"QUJDQUJD QUJ", 0, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			n, ok := CanonicalBase64([]byte(tc.in))
			if ok != tc.want || n != tc.n {
				t.Fatalf("CanonicalBase64 = %d, %v; want %d, %v", n, ok, tc.n, tc.want)
			}
			// Canonical is exactly "decoding and encoding again gives it back".
			dec, err := decodeBase64([]byte(tc.in))
			roundTrips := err == nil && tc.in != "" && base64.StdEncoding.EncodeToString(dec) == tc.in
			if roundTrips != tc.want {
				t.Fatalf("decode/re-encode round trip %v (err %v), CanonicalBase64 %v", roundTrips, err, ok)
			}
		})
	}
}

// With KeepBase64, canonical records keep their text and everything else —
// packets, errors, offsets — is what decoding without it gives.
func TestPayloadKeepBase64(t *testing.T) {
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 7}, 1000))
	tests := []struct {
		name string
		v    Version
		ct   string
		body string
		kept []string // Base64 per packet, "" for none
	}{
		{"v4 canonical", V4, "", "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID", []string{"", "AQID"}},
		{"v4 padded", V4, "", "bQQ==\x1ebQUI=\x1e2", []string{"QQ==", "QUI=", ""}},
		{"v4 padding bits set", V4, "", "bQR==\x1ebQUJ=", []string{"", ""}},
		{"v4 unpadded", V4, "", "bQQ\x1ebQUJD", []string{"", "QUJD"}},
		{"v4 empty base64", V4, "", "b", []string{""}},
		{"v4 64 KiB", V4, "", "b" + big, []string{big}},
		{"v4 invalid", V4, "", "bQUJD\x1eb!!!!", nil},
		{"v4 invalid length", V4, "", "4x\x1ebQQQQQ", nil},
		{"v3 canonical", V3, "text/plain", "6:b4AQID2:40", []string{"AQID", ""}},
		{"v3 padding bits set", V3, "text/plain", "6:b4QR==", []string{""}},
		{"v3 binary ping", V3, "text/plain", "6:b2AQID", []string{"AQID"}},
		{"v3 invalid", V3, "text/plain", "6:b4AQ!D", nil},
		{"v3 bad type", V3, "text/plain", "6:b9AQID", nil},
		{"v3 xhr2 text record", V3, "application/octet-stream", "\x00\x06\xffb4AQID\x01\x04\xff\x04\x01\x02\x03", []string{"AQID", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := DecodePayload(tc.v, []byte(tc.body), tc.ct)
			got, err := AppendPayloadWith(nil, tc.v, []byte(tc.body), tc.ct, PayloadOptions{KeepBase64: true})
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if tc.kept == nil && err == nil {
				t.Fatalf("decoded %s without the error the case is about", fmtPackets(got))
			}
			if tc.kept != nil && len(got) != len(tc.kept) {
				t.Fatalf("%d packets, want %d", len(got), len(tc.kept))
			}
			checkKept(t, got, want)
			for i, k := range tc.kept {
				if string(got[i].Base64) != k {
					t.Fatalf("packet %d Base64 %.40q, want %.40q", i, got[i].Base64, k)
				}
				if k != "" && got[i].Data != nil {
					t.Fatalf("packet %d keeps Base64 and has Data % x", i, got[i].Data)
				}
			}
		})
	}
}

// checkKept: got (KeepBase64) and want (without) are the same packets, and
// a kept text is what encoding the decoded bytes gives.
func checkKept(t *testing.T, got, want []Packet) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets with KeepBase64, %d without", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Type != w.Type || g.Binary != w.Binary || !bytes.Equal(g.Bytes(), w.Data) || g.Len() != len(w.Data) {
			t.Fatalf("packet %d: %s %v len %d % .20x, want %s %v len %d % .20x",
				i, g.Type, g.Binary, g.Len(), g.Bytes(), w.Type, w.Binary, len(w.Data), w.Data)
		}
		if g.Base64 != nil {
			if enc := base64.StdEncoding.EncodeToString(w.Data); enc != string(g.Base64) {
				t.Fatalf("packet %d kept %.40q; decoding and encoding gives %.40q", i, g.Base64, enc)
			}
		}
	}
}

func FuzzCanonicalBase64(f *testing.F) {
	for _, s := range []string{"QQ==", "QR==", "QUI=", "QUJ=", "QUJD", "QQ", "", "====", "QQ=A", "QQ\n=", "-_-_", "AAECAwQFBgcICQoLDA0ODw=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		n, ok := CanonicalBase64(s)
		dec, err := decodeBase64(s)
		roundTrips := err == nil && len(s) > 0 && base64.StdEncoding.EncodeToString(dec) == string(s)
		if ok != roundTrips {
			t.Fatalf("%q: CanonicalBase64 %v, decode/re-encode round trip %v (err %v)", s, ok, roundTrips, err)
		}
		if ok && (n != len(dec) || n != b64.DecodedLen(s)) {
			t.Fatalf("%q: length %d, base64Len %d, decoded %d", s, n, b64.DecodedLen(s), len(dec))
		}
	})
}

// FuzzPayloadKeepBase64: on any body, KeepBase64 changes nothing but the
// form of canonical records, whose text is what re-encoding gives.
func FuzzPayloadKeepBase64(f *testing.F) {
	for _, s := range []string{"bAQID", "bQR==\x1ebQQ==", "bQQ", "4a\x1ebAQ!D", "6:b4AQID", "6:b4QR==", "1:b", "b"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, v3 bool) {
		v := V4
		if v3 {
			v = V3
		}
		want, wantErr := DecodePayload(v, body, "")
		got, err := AppendPayloadWith(nil, v, body, "", PayloadOptions{KeepBase64: true})
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		checkKept(t, got, want)
	})
}

// The check that lets a record skip decoding, against the decoding it saves.
func BenchmarkBase64Record64KiB(b *testing.B) {
	s := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 1}, 16<<10)))
	b.Run("CanonicalBase64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if _, ok := CanonicalBase64(s); !ok {
				b.Fatal("not canonical")
			}
		}
	})
	b.Run("decodeBase64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if _, err := decodeBase64(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
