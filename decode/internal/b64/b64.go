// Package b64 holds what decode/eio and decode/sio both need to know about
// the canonical padded base64 text they pass along undecoded.
package b64

// DecodedLen is the number of bytes canonical padded standard base64 text
// encodes: three per four characters, less one per trailing '='.
func DecodedLen(s []byte) int {
	n := len(s) / 4 * 3
	for i := len(s) - 1; i >= 0 && i >= len(s)-2 && s[i] == '='; i-- {
		n--
	}
	return n
}
