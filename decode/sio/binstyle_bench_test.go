package sio

import "testing"

// The stand-in of a 64 KiB attachment in each style: what --binary costs
// the analyzer per attachment.
func BenchmarkAppendBinary64K(b *testing.B) {
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for _, st := range []BinaryStyle{BinaryFull, BinarySummary, BinaryNone} {
		b.Run(st.String(), func(b *testing.B) {
			dst := make([]byte, 0, 100<<10)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendBinary(dst[:0], buf, st)
			}
		})
	}
}
