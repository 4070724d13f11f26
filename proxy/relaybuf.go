package proxy

import "sync"

// An idle WebSocket spends its life blocked in Read, holding the buffer it
// reads into. With a 16 KiB buffer per direction that was two thirds of an
// idle connection's memory, so each direction reads into a small buffer of
// its own and borrows a full-size one from a pool only while a burst
// lasts: from a read that filled the small buffer until a read that would
// have fitted in it. Small messages (most Socket.IO traffic) never borrow;
// a burst costs one read into the small buffer before the large one.

// smallReadSize is the buffer a direction owns: larger than a typical
// Socket.IO message with its frame header.
const smallReadSize = 2 << 10

var bigReadBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// relayBufs is one direction's read buffers; only its goroutine uses it.
type relayBufs struct {
	small []byte
	big   *[]byte // borrowed while a burst lasts
}

// next is the buffer for the next read.
func (b *relayBufs) next() []byte {
	if b.big != nil {
		return *b.big
	}
	if b.small == nil {
		b.small = make([]byte, smallReadSize)
	}
	return b.small
}

// used adapts to a read of n bytes.
func (b *relayBufs) used(n int) {
	switch {
	case b.big == nil && n == len(b.small):
		b.big = bigReadBufs.Get().(*[]byte)
	case b.big != nil && n < smallReadSize:
		b.release()
	}
}

// release returns a borrowed buffer. The relay has forwarded (and the tap
// copied) what it held before the next read, so no one refers to it.
func (b *relayBufs) release() {
	if b.big != nil {
		bigReadBufs.Put(b.big)
		b.big = nil
	}
}
