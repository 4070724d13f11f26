package proxy

import "testing"

// An idle direction holds only its small buffer: it borrows a full-size
// one after a read that filled the small one, and gives it back after a
// read that the small one would have held.
func TestRelayBufsBorrowOnlyForBursts(t *testing.T) {
	var b relayBufs
	steps := []struct {
		read    int // bytes the read returns, as a share of the buffer it got
		wantBig bool
	}{
		{100, false},          // a small message
		{smallReadSize, true}, // filled: a burst begins
		{copyBufSize, true},   // the burst goes on
		{smallReadSize, true}, // still more than the small buffer would take
		{10, false},           // the burst is over
		{smallReadSize - 1, false},
	}
	for i, s := range steps {
		buf := b.next()
		if i == 0 && len(buf) != smallReadSize {
			t.Fatalf("first buffer is %d bytes, want %d", len(buf), smallReadSize)
		}
		if s.read > len(buf) {
			t.Fatalf("step %d: read %d into a %d-byte buffer", i, s.read, len(buf))
		}
		b.used(s.read)
		if got := b.big != nil; got != s.wantBig {
			t.Fatalf("step %d (read %d): borrowed = %v, want %v", i, s.read, got, s.wantBig)
		}
		if s.wantBig && len(b.next()) != copyBufSize {
			t.Fatalf("step %d: borrowed buffer is %d bytes", i, len(b.next()))
		}
	}
	b.used(smallReadSize)
	b.release()
	if b.big != nil || len(b.next()) != smallReadSize {
		t.Fatal("release kept the borrowed buffer")
	}
}
