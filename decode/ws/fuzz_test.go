package ws

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// fuzzSetup turns the mode byte into parser settings: bit 0 deflate, bit 1
// no context takeover, bit 2 direction.
func fuzzSetup(mode byte) (decode.Dir, Extensions, Options) {
	var ext Extensions
	if mode&1 != 0 {
		ext = deflateExt
		ext.ServerNoContextTakeover = mode&2 != 0
		ext.ClientNoContextTakeover = mode&2 != 0
	}
	// Small caps so that the fuzzer reaches them and cannot make us allocate
	// much.
	return decode.Dir(mode >> 2 & 1), ext, Options{MaxMessage: 4 << 10, MaxInflate: 16 << 10}
}

// FuzzParser checks that no input panics, that caps hold, and that feeding
// in random chunk sizes (seeded by chunkSeed) gives exactly what one Feed
// gives.
func FuzzParser(f *testing.F) {
	for _, tc := range parseCases(f) {
		if len(tc.in) > 4096 {
			continue // big seeds slow every mutation down; the length forms are covered below
		}
		mode := byte(tc.dir) << 2
		if tc.ext.Deflate {
			mode |= 1
		}
		f.Add(mode, uint32(len(tc.in)), tc.in)
	}
	// Headers of the 16- and 64-bit length forms with a short payload.
	f.Add(byte(4), uint32(5), append(hexb(f, "82 7e 01 00"), make([]byte, 256)...))
	f.Add(byte(0), uint32(9), append(hexb(f, "82 ff 00 00 00 00 00 01 00 00 01 02 03 04"), make([]byte, 300)...))
	for _, takeover := range []bool{true, false} {
		mode := byte(1)
		if !takeover {
			mode |= 2
		}
		in := deflateFrames(deflateStream(f, takeover, chatMsgs[:4]...), true)
		f.Add(mode, uint32(7), in)
		f.Add(mode|4, uint32(3), deflateFrames(deflateStream(f, takeover, chatMsgs[:4]...), false))
	}
	f.Fuzz(func(t *testing.T, mode byte, chunkSeed uint32, in []byte) {
		dir, ext, opt := fuzzSetup(mode)
		limit := max(opt.MaxMessage, opt.MaxInflate)
		wp := NewParser(dir, ext, opt)
		whole, wholeErr := feedAll(wp, in)
		for _, m := range whole {
			if len(m.Data) > limit {
				t.Fatalf("message of %d bytes over the caps", len(m.Data))
			}
		}
		var chunks [][]byte
		s := chunkSeed | 1
		for rest := in; len(rest) > 0; {
			s ^= s << 13
			s ^= s >> 17
			s ^= s << 5
			n := int(s>>8) % 9 // mostly tiny chunks, to split headers
			if s&3 == 0 {
				n = int(s>>8) % 600
			}
			n = min(n, len(rest)) // n may be 0: an empty Feed must be harmless
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		sp := NewParser(dir, ext, opt)
		split, splitErr := feedAll(sp, chunks...)
		sameResult(t, "random chunks", whole, split, wholeErr, splitErr)
		if wp.Offset() != sp.Offset() {
			t.Fatalf("Offset %d after one Feed, %d after chunks", wp.Offset(), sp.Offset())
		}
	})
}
