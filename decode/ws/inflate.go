package ws

import (
	"compress/flate"
	"io"
)

const windowSize = 32 << 10 // the largest DEFLATE window, covers any max_window_bits

// deflateTail completes a permessage-deflate payload: the 00 00 ff ff that
// the sender stripped (RFC 7692 §7.2.2), then an empty final stored block so
// that the decompressor reports io.EOF instead of waiting for more input.
var deflateTail = [...]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// tailReader yields a payload followed by deflateTail. It is the
// io.MultiReader of DESIGN.md §1e, but it implements io.ByteReader so that
// flate uses it directly instead of allocating a bufio.Reader per Reset, and
// it lives inside the inflater so nothing is allocated per message.
type tailReader struct {
	p []byte
	t int // bytes of deflateTail already read
}

func (r *tailReader) Read(b []byte) (int, error) {
	if len(r.p) > 0 {
		n := copy(b, r.p)
		r.p = r.p[n:]
		return n, nil
	}
	if r.t >= len(deflateTail) {
		return 0, io.EOF
	}
	n := copy(b, deflateTail[r.t:])
	r.t += n
	return n, nil
}

func (r *tailReader) ReadByte() (byte, error) {
	if len(r.p) > 0 {
		c := r.p[0]
		r.p = r.p[1:]
		return c, nil
	}
	if r.t >= len(deflateTail) {
		return 0, io.EOF
	}
	c := deflateTail[r.t]
	r.t++
	return c, nil
}

// inflater is one direction's permessage-deflate state.
type inflater struct {
	takeover bool
	max      int
	fr       io.ReadCloser // created once, then only Reset
	src      tailReader
	out      []byte // reused output buffer
	// win holds the last windowSize bytes of inflated output at
	// win[winEnd-windowSize:winEnd] (or win[:winEnd] early on). It is twice
	// the window so that appending a small message is a short copy and the
	// window is compacted only once per windowSize bytes of output.
	win    []byte
	winEnd int
	// budget, if set, is charged for out; held is what out holds of it.
	budget Budget
	held   int
	// lost is the sticky reason the shared window is unknown (context
	// takeover only); nil while the context is intact.
	lost error
}

func (f *inflater) window() []byte {
	if !f.takeover || f.winEnd == 0 {
		return nil
	}
	return f.win[max(0, f.winEnd-windowSize):f.winEnd]
}

// inflate decompresses one message payload. The result aliases f.out and is
// valid until the next call.
func (f *inflater) inflate(payload []byte) ([]byte, error) {
	f.src = tailReader{p: payload}
	if f.fr == nil {
		f.fr = flate.NewReader(&f.src)
	}
	f.fr.(flate.Resetter).Reset(&f.src, f.window())
	limit := f.max + 1 // read one byte past the cap to tell "at" from "over"
	out := f.out[:0]
	for {
		if len(out) == cap(out) {
			if len(out) >= limit {
				f.out = out[:0]
				return nil, errInflateOver
			}
			nc := min(max(2*cap(out), 4096), limit)
			if f.budget != nil {
				if !f.budget.Reserve(nc - f.held) {
					f.out = out[:0]
					return nil, errInflateBudget
				}
				f.held = nc
			}
			grown := make([]byte, len(out), nc)
			copy(grown, out)
			out = grown
		}
		n, err := f.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			f.out = out[:0]
			return nil, err
		}
	}
	f.out = out
	if len(out) > f.max {
		return nil, errInflateOver
	}
	if f.takeover {
		f.remember(out)
	}
	return out, nil
}

// errInflateOver is internal: the caller turns it into a message error that
// names the sizes.
var errInflateOver = ErrInflateTooLarge

// errInflateBudget is internal too: the budget refused the output buffer.
var errInflateBudget = ErrOverBudget

// remember appends inflated output to the window.
func (f *inflater) remember(out []byte) {
	if f.win == nil {
		f.win = make([]byte, 2*windowSize)
	}
	if len(out) >= windowSize {
		f.winEnd = copy(f.win, out[len(out)-windowSize:])
		return
	}
	if f.winEnd+len(out) > len(f.win) {
		keep := windowSize - len(out)
		copy(f.win, f.win[f.winEnd-keep:f.winEnd])
		f.winEnd = keep
	}
	f.winEnd += copy(f.win[f.winEnd:], out)
}

// trim drops a large output buffer so that one big message does not pin
// memory for the rest of a long-lived connection.
func (f *inflater) trim() {
	if f.budget != nil && cap(f.out) > keepBudgeted || cap(f.out) > keepBuffer {
		f.dropOut()
	}
}

// dropOut frees the output buffer and its reservation.
func (f *inflater) dropOut() {
	f.out = nil
	if f.budget != nil && f.held > 0 {
		f.budget.Release(f.held)
	}
	f.held = 0
}

func (f *inflater) reset() {
	f.winEnd = 0
	f.lost = nil
	f.trim()
}
