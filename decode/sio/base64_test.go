package sio

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"
)

// feed hands the attachments to d, each as bytes or, where asText says so,
// as its base64 text, and returns the last result and the --json form of
// the completed packet's payload.
func feed(d *Decoder, header string, atts [][]byte, asText []bool) (*Packet, string, error) {
	p, err := d.Text([]byte(header))
	if err != nil || p != nil {
		return p, "", err
	}
	for i, a := range atts {
		if asText[i] {
			p, err = d.BinaryBase64([]byte(base64.StdEncoding.EncodeToString(a)))
		} else {
			p, err = d.BinaryOwned(a)
		}
		if err != nil || p != nil {
			break
		}
	}
	if p == nil || err != nil || p.Msgpack {
		return p, "", err
	}
	out, rerr := ReplacePlaceholdersWith(p.Data, p.Buffers, p.Base64)
	if rerr != nil {
		return p, "", rerr
	}
	return p, string(out), nil
}

// Attachments handed over as base64 text give the packet, the errors and
// the replaced payload that handing over their bytes gives.
func TestBinaryBase64(t *testing.T) {
	big := bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 0}, 16<<10)
	tests := []struct {
		name   string
		header string
		atts   [][]byte
		asText []bool
		max    int
		want   string // replaced payload, or "!" and the error
	}{
		{"one", `51-["up",` + ph0 + `]`, [][]byte{{1, 2, 3}}, []bool{true}, 0, `["up",{"_binary":"AQID"}]`},
		{"padded", `52-["up",` + ph0 + `,` + ph1 + `]`, [][]byte{{1}, {1, 2}}, []bool{true, true}, 0, `["up",{"_binary":"AQ=="},{"_binary":"AQI="}]`},
		{"bytes then text", `52-["up",` + ph1 + `,` + ph0 + `]`, [][]byte{{1}, {2}}, []bool{false, true}, 0, `["up",{"_binary":"Ag=="},{"_binary":"AQ=="}]`},
		{"text then bytes", `52-["up",` + ph1 + `,` + ph0 + `]`, [][]byte{{1}, {2}}, []bool{true, false}, 0, `["up",{"_binary":"Ag=="},{"_binary":"AQ=="}]`},
		{"64 KiB", `51-["up",{"d":` + ph0 + `}]`, [][]byte{big}, []bool{true}, 0, `["up",{"d":{"_binary":"` + base64.StdEncoding.EncodeToString(big) + `"}}]`},
		{"at the cap", `51-["up",` + ph0 + `]`, [][]byte{{1, 2, 3, 4}}, []bool{true}, 4, `["up",{"_binary":"AQIDBA=="}]`},
		{"over the cap", `51-["up",` + ph0 + `]`, [][]byte{{1, 2, 3, 4, 5}}, []bool{true}, 4, "!"},
		{"illegal placeholder", `51-["up",{"_placeholder":true,"num":3}]`, [][]byte{{1}}, []bool{true}, 0, "!"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bytesDec, textDec := NewDecoder(5), NewDecoder(5)
			bytesDec.MaxAttachmentBytes, textDec.MaxAttachmentBytes = tc.max, tc.max
			wp, want, werr := feed(bytesDec, tc.header, tc.atts, make([]bool, len(tc.atts)))
			gp, got, gerr := feed(textDec, tc.header, tc.atts, tc.asText)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("error %v, with bytes %v", gerr, werr)
			}
			if got != want {
				t.Fatalf("payload %.120s, with bytes %.120s", got, want)
			}
			if tc.want == "!" {
				if werr == nil {
					t.Fatal("no error")
				}
				return
			}
			if got != tc.want {
				t.Fatalf("payload %.120s, want %.120s", got, tc.want)
			}
			if (gp == nil) != (wp == nil) || gp != nil && (len(gp.Buffers) != len(wp.Buffers) || gp.Compact != wp.Compact) {
				t.Fatalf("packet %+v, with bytes %+v", gp, wp)
			}
			if gp != nil && gp.Type.IsBinary() {
				for i, text := range tc.asText {
					if text != (gp.Base64 != nil && gp.Base64[i] != nil) || text == (gp.Buffers[i] != nil) {
						t.Fatalf("attachment %d: Base64 %v, Buffers %v", i, gp.Base64, gp.Buffers)
					}
				}
			}
		})
	}
}

// With nothing pending, base64 text is decoded and treated as Binary would:
// a msgpack packet, or the same "not pending" error.
func TestBinaryBase64NothingPending(t *testing.T) {
	msgpack := []byte("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa5hello\xa3you")
	for _, b := range [][]byte{msgpack, {1, 2, 3}} {
		t.Run(fmt.Sprintf("% .4x", b), func(t *testing.T) {
			wp, werr := NewDecoder(5).Binary(b)
			gp, gerr := NewDecoder(5).BinaryBase64([]byte(base64.StdEncoding.EncodeToString(b)))
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || (gp == nil) != (wp == nil) || gp != nil && string(gp.Data) != string(wp.Data) {
				t.Fatalf("got %+v, %v; want %+v, %v", gp, gerr, wp, werr)
			}
		})
	}
}

// FuzzBinaryBase64: for any header and attachments, handing the
// attachments over as base64 text changes neither the errors nor the
// replaced payload.
func FuzzBinaryBase64(f *testing.F) {
	f.Add(`51-["up",`+ph0+`]`, []byte{1, 2, 3}, []byte(nil), uint8(1))
	f.Add(`52-["up",`+ph1+`,`+ph0+`]`, []byte{1}, []byte{2, 3}, uint8(2))
	f.Add(`52-["up",{"_placeholder":true,"num":2}]`, []byte{}, []byte{9}, uint8(3))
	f.Fuzz(func(t *testing.T, header string, a, b []byte, mask uint8) {
		atts := [][]byte{a, b}
		asText := []bool{mask&1 != 0, mask&2 != 0}
		_, want, werr := feed(NewDecoder(5), header, atts, []bool{false, false})
		_, got, gerr := feed(NewDecoder(5), header, atts, asText)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || got != want {
			t.Fatalf("as text %v: %q, %v; as bytes %q, %v", asText, got, gerr, want, werr)
		}
	})
}
