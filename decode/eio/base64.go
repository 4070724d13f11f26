package eio

import (
	"encoding/base64"

	"github.com/sioproxy/sioproxy/decode/internal/b64"
)

// A polling binary record carries its bytes as base64 text, and a consumer
// that only shows them as base64 again (the --json writer) would pay for
// decoding and re-encoding the same characters. When the text is exactly
// what encoding its bytes gives back, the decoder can hand the text on
// instead; checking that is one table lookup per character.

// b64Value maps a standard-alphabet character to its 6-bit value and every
// other byte to 0xff, so OR-ing the lookups of a run flags any stranger in
// the top bit.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// CanonicalBase64 reports whether s is canonical padded standard base64 —
// exactly a string base64.StdEncoding.EncodeToString returns — and if so
// the length of the bytes it encodes. Canonical means: a multiple of four
// characters, only A-Z a-z 0-9 + / before one or two trailing '=', and the
// unused low bits of the last data character zero. Those are the strings
// that decoding and encoding again give back unchanged; the decoder also
// takes unpadded text, line breaks and set padding bits ("QR==" is "A"),
// which re-encode differently. The empty string is not canonical here:
// there is nothing to save.
func CanonicalBase64(s []byte) (n int, ok bool) {
	if len(s) == 0 || len(s)%4 != 0 {
		return 0, false
	}
	pad := 0
	if s[len(s)-1] == '=' {
		pad = 1
		if s[len(s)-2] == '=' {
			pad = 2
		}
	}
	data := s[:len(s)-pad]
	// Eight independent lookups per step keep the loads in flight; only
	// the top bit of the OR matters.
	var acc byte
	i := 0
	for ; len(data)-i >= 8; i += 8 {
		d := data[i : i+8 : i+8]
		acc |= b64Value[d[0]] | b64Value[d[1]] | b64Value[d[2]] | b64Value[d[3]] |
			b64Value[d[4]] | b64Value[d[5]] | b64Value[d[6]] | b64Value[d[7]]
	}
	for ; i < len(data); i++ {
		acc |= b64Value[data[i]]
	}
	if acc&0x80 != 0 {
		return 0, false
	}
	// The last data character's unused bits: 4 of them before "==", 2
	// before "=".
	last := b64Value[data[len(data)-1]]
	if pad == 2 && last&0x0f != 0 || pad == 1 && last&0x03 != 0 {
		return 0, false
	}
	return len(s)/4*3 - pad, true
}

// Len is the length of the packet's bytes: len(Data), or for a packet
// holding Base64 the length that text decodes to.
func (p Packet) Len() int {
	if p.Base64 != nil {
		return b64.DecodedLen(p.Base64)
	}
	return len(p.Data)
}

// Bytes returns the packet's bytes: Data, or for a packet holding Base64
// that text decoded into fresh memory.
func (p Packet) Bytes() []byte {
	if p.Base64 == nil {
		return p.Data
	}
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(p.Base64)))
	n, _ := base64.StdEncoding.Decode(dst, p.Base64) // canonical, so no error
	return dst[:n]
}
