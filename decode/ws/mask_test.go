package ws

import (
	"bytes"
	"testing"
)

func TestMaskCopy(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i * 7)
	}
	key := [4]byte{0x01, 0x23, 0x45, 0x67}
	for n := 0; n <= len(src); n++ {
		for pos := range 4 {
			want := make([]byte, n)
			for i := range n {
				want[i] = src[i] ^ key[(pos+i)&3]
			}
			dst := make([]byte, n)
			if next := maskCopy(dst, src[:n], key, pos); next != (pos+n)&3 {
				t.Fatalf("n=%d pos=%d: next pos %d", n, pos, next)
			}
			if !bytes.Equal(dst, want) {
				t.Fatalf("n=%d pos=%d: wrong output", n, pos)
			}
			inPlace := bytes.Clone(src[:n])
			maskCopy(inPlace, inPlace, key, pos)
			if !bytes.Equal(inPlace, want) {
				t.Fatalf("n=%d pos=%d: in place differs", n, pos)
			}
		}
	}
}
