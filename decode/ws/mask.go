package ws

import "encoding/binary"

// maskCopy writes src XOR the masking key into dst (which may alias src),
// starting at key byte pos&3, and returns the key position after the last
// byte so that a payload split across chunks keeps its running offset.
//
// It works eight bytes at a time because unmasking is the only per-byte work
// on the relay's hot path; byte-wise XOR runs at a few hundred MB/s, the word
// loop at several GB/s.
func maskCopy(dst, src []byte, key [4]byte, pos int) int {
	n := len(src)
	dst = dst[:n]
	// Rotate the key so that index 0 of src lines up with key byte 0 of k;
	// every multiple of 4 in src then starts a fresh key cycle.
	var k [4]byte
	for i := range k {
		k[i] = key[(pos+i)&3]
	}
	k32 := uint64(binary.LittleEndian.Uint32(k[:]))
	k64 := k32 | k32<<32
	i := 0
	for ; i+32 <= n; i += 32 {
		d, s := dst[i:i+32:i+32], src[i:i+32:i+32]
		binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:])^k64)
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k64)
		binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k64)
		binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k64)
	}
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^k64)
	}
	for ; i < n; i++ {
		dst[i] = src[i] ^ k[i&3]
	}
	return (pos + n) & 3
}
