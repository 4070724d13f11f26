package active

import "encoding/binary"

// boundary follows a WebSocket byte stream by frame headers only (no
// unmasking, no inflating), to know where whole messages end: injected
// frames may only go there. It costs a few operations per frame, not per
// byte. A header it cannot read (reserved lengths, garbage) makes it give
// up: never at a boundary again, so nothing is ever injected into a stream
// whose framing is unknown.
type boundary struct {
	hdr    [14]byte
	hdrN   int
	remain uint64
	inMsg  bool // a fragmented data message is open
	lost   bool
}

// at reports whether the stream so far ends between whole messages.
func (s *boundary) at() bool { return !s.lost && s.hdrN == 0 && s.remain == 0 && !s.inMsg }

// feed consumes b up to and including the first point where a whole
// message ends, and returns how many bytes it took; with stop false it
// consumes all of b.
func (s *boundary) feed(b []byte, stop bool) int {
	n := 0
	for n < len(b) {
		if s.lost {
			return len(b)
		}
		if s.remain > 0 {
			k := uint64(len(b) - n)
			if k > s.remain {
				k = s.remain
			}
			s.remain -= k
			n += int(k)
			if s.remain == 0 && stop && s.at() {
				return n
			}
			continue
		}
		s.hdr[s.hdrN] = b[n]
		s.hdrN++
		n++
		if s.hdrN < 2 {
			continue
		}
		need := 2
		switch s.hdr[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if s.hdr[1]&0x80 != 0 {
			need += 4
		}
		if s.hdrN < need {
			continue
		}
		s.hdrN = 0
		fin, op := s.hdr[0]&0x80 != 0, s.hdr[0]&0x0f
		var l uint64
		switch s.hdr[1] & 0x7f {
		case 126:
			l = uint64(binary.BigEndian.Uint16(s.hdr[2:]))
		case 127:
			l = binary.BigEndian.Uint64(s.hdr[2:])
			if l>>63 != 0 {
				s.lost = true
				return len(b)
			}
		default:
			l = uint64(s.hdr[1] & 0x7f)
		}
		if op < 8 { // data or continuation frame
			s.inMsg = !fin
		}
		s.remain = l
		if l == 0 && stop && s.at() {
			return n
		}
	}
	return n
}
