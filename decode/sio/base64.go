package sio

import (
	"encoding/base64"
	"encoding/binary"
)

// Binary arguments are shown as base64, and at 64 KiB per message that
// encoding was a fifth of the proxy's CPU with encoding/base64, which
// looks up one character per six bits. This encoder looks up two
// characters per twelve bits (an 8 KiB table) and handles six input bytes
// per step; the output is byte for byte StdEncoding's.

const stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// pairs[v] is the two characters of the 12-bit value v, first in the low
// byte (so a little-endian store writes them in order).
var pairs = func() (t [4096]uint16) {
	for v := range t {
		t[v] = uint16(stdAlphabet[v>>6]) | uint16(stdAlphabet[v&63])<<8
	}
	return t
}()

// appendBase64 appends the padded standard base64 of src to dst.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	if cap(dst)-len(dst) < n {
		dst = append(dst, make([]byte, n)...)[:len(dst)]
	}
	out := dst[len(dst) : len(dst)+n]
	di, si := 0, 0
	// Loads 8 bytes and uses 6, so stop while 8 remain.
	for ; len(src)-si >= 8; si, di = si+6, di+8 {
		v := binary.BigEndian.Uint64(src[si:])
		w := uint64(pairs[v>>52&0xfff]) | uint64(pairs[v>>40&0xfff])<<16 |
			uint64(pairs[v>>28&0xfff])<<32 | uint64(pairs[v>>16&0xfff])<<48
		binary.LittleEndian.PutUint64(out[di:], w)
	}
	base64.StdEncoding.Encode(out[di:], src[si:])
	return dst[:len(dst)+n]
}
