package termsafe

import "testing"

var benchInputs = []struct{ name, s string }{
	{"ascii", `["message",{"user":"alice","text":"hello there, how are you?","n":42}]`},
	{"unicode", `["message",{"user":"zoë","text":"こんにちは ✓ ok","n":42}]`},
	{"hostile", "/x\x1b]2;PWNED\x07\x1b]52;c;UFdORUQ=\x07\x1b[2J\u202etxt.exe"},
}

func BenchmarkAppendString(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.SetBytes(int64(len(in.s)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendString(buf[:0], in.s)
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.s)))
			b.ReportAllocs()
			for b.Loop() {
				_ = String(in.s)
			}
		})
	}
}
