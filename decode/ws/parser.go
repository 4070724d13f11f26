package ws

import (
	"encoding/binary"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/decode"
)

const (
	DefaultMaxMessage = 16 << 20
	DefaultMaxInflate = 16 << 20
	// keepBuffer is the largest buffer kept between messages; a one-off big
	// message should not pin megabytes for the rest of a long connection.
	keepBuffer = 1 << 20
	// keepBudgeted replaces keepBuffer under a Budget: buffers kept between
	// messages are reserved from the shared budget, so idle connections
	// must not hoard it.
	keepBudgeted = 64 << 10
)

// Budget is memory shared by many parsers (every connection of a proxy).
// Reserve reports whether n more bytes may be held; Release gives them
// back. Both are called from the parser's goroutine and must be safe for
// concurrent use across parsers.
type Budget interface {
	Reserve(n int) bool
	Release(n int)
}

// Options bound the memory one Parser may use.
type Options struct {
	MaxMessage int // cap on a reassembled (still compressed) message; default 16 MiB
	MaxInflate int // cap on a message's inflated size; default 16 MiB
	// Budget, if set, is charged for the reassembly and inflate buffers.
	// A message that would exceed it is skipped (Err wraps ErrOverBudget),
	// as one over MaxMessage is. Call Release when the stream ends.
	Budget Budget
}

// Message is one reassembled WebSocket message. Control frames are messages
// of their own and are emitted as soon as they end, even between the frames
// of a fragmented data message.
type Message struct {
	Opcode byte // 1 text, 2 binary, 8 close, 9 ping, 10 pong
	// Data is the unmasked and inflated payload. It is VALID ONLY UNTIL the
	// emit callback returns: the parser reuses its buffer (or it points into
	// the slice passed to Feed). Copy what you keep.
	Data       []byte
	Compressed bool // RSV1 was set on the first frame
	Masked     bool // the first frame was masked
	WireLen    int  // bytes on the wire, all frame headers included
	Frames     int
	// PayloadLen is the payload size on the wire (compressed, before
	// inflating), counted even when Data was dropped for being over a cap.
	PayloadLen int
	CloseCode  int // opcode 8 only; 0 when the frame had no code (the peer then reports 1005)
	// CloseReason is the close frame's reason text, as sent.
	CloseReason string
	// Err is a problem with this message only (see ErrTooLarge and the other
	// sentinels); framing is still in sync. Data is nil unless Err wraps
	// ErrBadClose.
	Err error
	// Owned reports that Data is a buffer the parser lets go of after the
	// emit callback (a large one, which it would not keep for the next
	// message anyway): the callee may keep Data instead of copying it.
	Owned bool
}

// Parser reads one direction of a WebSocket connection. It is not safe for
// concurrent use; the tap owns one per direction.
type Parser struct {
	deflate bool
	opt     Options

	err *decode.Error // sticky: framing sync was lost
	off int64         // stream offset of the next byte Feed reads

	// Frame header, accumulated when it arrives split across Feeds.
	hdr        [maxHeader]byte
	hdrN       int
	frameStart int64

	// The frame whose payload is being read.
	inPayload bool
	fin       bool
	rsv1      bool
	masked    bool
	opcode    byte
	key       [4]byte
	keyPos    int
	remain    uint64
	frameWire int64

	ctrl  [maxControlData]byte
	ctrlN int

	// The data message being reassembled.
	msgOn         bool
	msgOp         byte
	msgCompressed bool
	msgMasked     bool
	msgSkip       bool // over MaxMessage: payload is counted, not buffered
	msgStart      int64
	msgWire       int64
	msgFrames     int
	msgLen        int64
	buf           []byte
	// direct is the whole payload of an unmasked single-frame message that
	// arrived in one Feed, used in place to skip a copy.
	direct []byte

	inf inflater
	m   Message // reused for every emit so emitting does not allocate

	// held is what is reserved from opt.Budget for buf (inflater.held for
	// the inflate buffer); overBudget marks a message skipped for it.
	held       int
	overBudget bool
}

// NewParser returns a parser for direction dir. The permessage-deflate
// parameters of that direction apply: client_* for C2S, server_* for S2C.
// Zero Options fields take their defaults.
func NewParser(dir decode.Dir, ext Extensions, opt Options) *Parser {
	if opt.MaxMessage <= 0 {
		opt.MaxMessage = DefaultMaxMessage
	}
	if opt.MaxInflate <= 0 {
		opt.MaxInflate = DefaultMaxInflate
	}
	noTakeover := ext.ClientNoContextTakeover
	if dir == decode.S2C {
		noTakeover = ext.ServerNoContextTakeover
	}
	return &Parser{
		deflate: ext.Deflate,
		opt:     opt,
		inf:     inflater{takeover: !noTakeover, max: opt.MaxInflate, budget: opt.Budget},
	}
}

// SkippingOverBudget reports whether the message in progress is being
// skipped because Options.Budget refused its buffer: a hostile peer that
// never finishes it would otherwise go unreported.
func (p *Parser) SkippingOverBudget() bool { return p.msgOn && p.overBudget }

// Release frees the parser's buffers and gives back what they held of
// Options.Budget. Call it when the stream ends; a later Feed still works
// (it allocates again).
func (p *Parser) Release() {
	p.dropBuf()
	p.inf.dropOut()
	p.inf.win, p.inf.winEnd = nil, 0
}

// dropBuf frees the reassembly buffer and its reservation.
func (p *Parser) dropBuf() {
	p.buf = nil
	if p.opt.Budget != nil && p.held > 0 {
		p.opt.Budget.Release(p.held)
	}
	p.held = 0
}

// grow makes room for n more bytes in buf, reserving the growth from the
// budget; false means the budget refused.
//
// The buffer doubles, so a message in many fragments costs O(size) in
// allocation and copying: growing it to the size declared so far at each
// frame was quadratic (a 1 MiB message in 4 KiB frames allocated 128 MiB).
// It never grows past MaxMessage, nor past the message's size once its
// final frame has declared it, and a frame header claiming 16 MiB costs only
// what actually arrived, times two and a half at most.
func (p *Parser) grow(n int) bool {
	need := len(p.buf) + n
	if need <= cap(p.buf) {
		return true
	}
	nc := max(need, 2*cap(p.buf), 4096)
	limit := int64(p.opt.MaxMessage)
	if p.fin {
		limit = min(limit, p.msgLen)
	}
	// Within a quarter of the limit, go to it: doubling to 1 MiB for a
	// message of 1 MiB and 13 bytes would copy the whole megabyte once more.
	if limit >= int64(need) && int64(nc)+int64(nc)/4 >= limit {
		nc = int(limit)
	}
	if p.opt.Budget != nil {
		if !p.opt.Budget.Reserve(nc - p.held) {
			// Doubling would not fit the shared budget, the exact size may.
			if nc == need || !p.opt.Budget.Reserve(need-p.held) {
				return false
			}
			nc = need
		}
		p.held = nc
	}
	grown := make([]byte, len(p.buf), nc)
	copy(grown, p.buf)
	p.buf = grown
	return true
}

// Undecodable reports whether framing sync was lost.
func (p *Parser) Undecodable() bool { return p.err != nil }

// Err returns the error that made the stream undecodable, or nil.
func (p *Parser) Err() error {
	if p.err == nil {
		return nil
	}
	return p.err
}

// Offset is the number of stream bytes consumed so far; once the stream is
// undecodable, the offset of the frame where framing was lost.
func (p *Parser) Offset() int64 { return p.off }

// Reset makes the parser ready for a new stream with the same direction,
// extensions and options, keeping its buffers.
func (p *Parser) Reset() {
	p.err = nil
	p.off = 0
	p.hdrN = 0
	p.inPayload = false
	p.msgOn = false
	p.msgSkip = false
	p.direct = nil
	p.buf = p.buf[:0]
	p.overBudget = false
	p.inf.reset()
}

// Feed consumes all of b, calling emit for every message that completes in
// it. A partial frame is kept for the next Feed (only its header is copied;
// payload goes straight into the message buffer, which MaxMessage caps).
// When framing sync is lost it returns a *decode.Error wrapping
// decode.ErrUndecodable, and from then on returns the same error at once.
func (p *Parser) Feed(b []byte, emit func(*Message)) error {
	if p.err != nil {
		return p.err
	}
	for len(b) > 0 {
		if !p.inPayload {
			n, h := p.header(b)
			b = b[n:]
			p.off += int64(n)
			if p.err != nil {
				p.off = p.frameStart
				return p.err
			}
			if h == nil {
				return nil // b is used up inside a header
			}
			if err := p.begin(h); err != nil {
				p.err = err
				p.off = p.frameStart
				return err
			}
			if p.remain == 0 {
				p.end(emit)
				continue
			}
		}
		n := len(b)
		if uint64(n) > p.remain {
			n = int(p.remain)
		}
		p.payload(b[:n])
		b = b[n:]
		p.off += int64(n)
		p.remain -= uint64(n)
		if p.remain == 0 {
			p.end(emit)
		}
	}
	return nil
}

// header consumes header bytes from b and returns how many it took and the
// complete header, or nil if b ended first. Checks that need only the first
// two bytes run as soon as they are there, setting p.err.
func (p *Parser) header(b []byte) (int, []byte) {
	if p.hdrN == 0 {
		p.frameStart = p.off
		if len(b) >= 2 {
			if n := headerSize(b[0], b[1]); len(b) >= n {
				p.err = p.check(b[0], b[1])
				return n, b[:n]
			}
		}
	}
	n := 0
	if p.hdrN < 2 {
		n = copy(p.hdr[p.hdrN:2], b)
		p.hdrN += n
		if p.hdrN < 2 {
			return n, nil
		}
		if p.err = p.check(p.hdr[0], p.hdr[1]); p.err != nil {
			return n, nil
		}
	}
	need := headerSize(p.hdr[0], p.hdr[1])
	c := copy(p.hdr[p.hdrN:need], b[n:])
	p.hdrN += c
	n += c
	if p.hdrN < need {
		return n, nil
	}
	p.hdrN = 0
	return n, p.hdr[:need]
}

// check validates the first two header bytes against RFC 6455 §5.2, §5.4,
// §5.5 and RFC 7692 §6. Any failure means we no longer know where frames
// start, so it is fatal for the stream.
func (p *Parser) check(b0, b1 byte) *decode.Error {
	op := b0 & 0x0f
	switch {
	case b0&0x30 != 0:
		return fatal(p.frameStart, "reserved bit RSV2 or RSV3 set (first byte 0x%02x)", b0)
	case op >= 3 && op <= 7 || op >= 11:
		return fatal(p.frameStart, "reserved opcode %d", op)
	}
	control := op >= 8
	if b0&0x40 != 0 {
		switch {
		case !p.deflate:
			return fatal(p.frameStart, "RSV1 set on opcode %d without permessage-deflate", op)
		case control:
			return fatal(p.frameStart, "RSV1 set on control frame opcode %d", op)
		case op == OpContinuation:
			return fatal(p.frameStart, "RSV1 set on a continuation frame")
		}
	}
	switch {
	case control && b0&0x80 == 0:
		return fatal(p.frameStart, "fragmented control frame opcode %d", op)
	case control && b1&0x7f > maxControlData:
		return fatal(p.frameStart, "control frame opcode %d with length code %d, over 125", op, b1&0x7f)
	case op == OpContinuation && !p.msgOn:
		return fatal(p.frameStart, "continuation frame without a message in progress")
	case !control && op != OpContinuation && p.msgOn:
		return fatal(p.frameStart, "data frame opcode %d inside a fragmented opcode %d message", op, p.msgOp)
	}
	return nil
}

// begin sets up the frame whose complete header is h (already checked).
func (p *Parser) begin(h []byte) *decode.Error {
	b0, b1 := h[0], h[1]
	p.fin = b0&0x80 != 0
	p.rsv1 = b0&0x40 != 0
	p.opcode = b0 & 0x0f
	p.masked = b1&0x80 != 0
	l, i := uint64(b1&0x7f), 2
	switch l {
	case 126:
		l, i = uint64(binary.BigEndian.Uint16(h[2:])), 4
	case 127:
		l, i = binary.BigEndian.Uint64(h[2:]), 10
		if l>>63 != 0 {
			return fatal(p.frameStart, "64-bit payload length 0x%016x has its most significant bit set", l)
		}
	}
	if p.masked {
		copy(p.key[:], h[i:i+4])
	}
	p.keyPos = 0
	p.remain = l
	p.frameWire = satAdd(int64(len(h)), l)
	p.inPayload = true
	if p.opcode >= 8 {
		p.ctrlN = 0
		return nil
	}
	if p.opcode != OpContinuation {
		p.msgOn = true
		p.msgOp = p.opcode
		p.msgCompressed = p.rsv1
		p.msgMasked = p.masked
		p.msgSkip = false
		p.overBudget = false
		p.msgStart = p.frameStart
		p.msgWire, p.msgFrames, p.msgLen = 0, 0, 0
		p.buf = p.buf[:0]
		p.direct = nil
	}
	p.msgLen = satAdd(p.msgLen, l)
	if !p.msgSkip && p.msgLen > int64(p.opt.MaxMessage) {
		p.msgSkip = true
		p.buf = p.buf[:0]
	}
	return nil
}

// payload takes the next chunk of the current frame's payload.
func (p *Parser) payload(c []byte) {
	if p.opcode >= 8 {
		dst := p.ctrl[p.ctrlN : p.ctrlN+len(c)]
		if p.masked {
			p.keyPos = maskCopy(dst, c, p.key, p.keyPos)
		} else {
			copy(dst, c)
		}
		p.ctrlN += len(c)
		return
	}
	if p.msgSkip {
		return
	}
	if !p.masked && p.fin && p.msgFrames == 0 && uint64(len(c)) == p.remain && len(p.buf) == 0 {
		p.direct = c
		return
	}
	if !p.grow(len(c)) {
		// Other connections hold the shared budget: skip this message as
		// if it were over MaxMessage, and give back what it held.
		p.msgSkip, p.overBudget = true, true
		p.dropBuf()
		return
	}
	n := len(p.buf)
	p.buf = p.buf[:n+len(c)]
	if p.masked {
		p.keyPos = maskCopy(p.buf[n:], c, p.key, p.keyPos)
	} else {
		copy(p.buf[n:], c)
	}
}

// end finishes the current frame.
func (p *Parser) end(emit func(*Message)) {
	p.inPayload = false
	if p.opcode >= 8 {
		p.emitControl(emit)
		return
	}
	p.msgWire = satAdd(p.msgWire, uint64(p.frameWire))
	p.msgFrames++
	if p.fin {
		p.finish(emit)
	}
}

func (p *Parser) emitControl(emit func(*Message)) {
	m := &p.m
	*m = Message{
		Opcode:     p.opcode,
		Data:       p.ctrl[:p.ctrlN],
		Masked:     p.masked,
		WireLen:    int(p.frameWire),
		Frames:     1,
		PayloadLen: p.ctrlN,
	}
	if p.opcode == OpClose {
		p.parseClose(m)
	}
	emit(m)
	m.Data = nil
}

// parseClose fills the close code and reason (RFC 6455 §5.5.1, §7.4).
func (p *Parser) parseClose(m *Message) {
	d := m.Data
	switch len(d) {
	case 0:
		return
	case 1:
		m.Err = msgErr(p.frameStart, ErrBadClose, "close payload of 1 byte (0x%02x), want 0 or at least 2", d[0])
		return
	}
	m.CloseCode = int(binary.BigEndian.Uint16(d))
	m.CloseReason = string(d[2:])
	switch {
	case !sendableCloseCode(m.CloseCode):
		m.Err = msgErr(p.frameStart, ErrBadClose, "close code %d may not be sent on the wire", m.CloseCode)
	case !utf8.Valid(d[2:]):
		m.Err = msgErr(p.frameStart, ErrBadClose, "close reason %q is not valid UTF-8", m.CloseReason)
	}
}

func sendableCloseCode(c int) bool {
	return c >= 1000 && c <= 1003 || c >= 1007 && c <= 1014 || c >= 3000 && c <= 4999
}

// finish emits the data message that the current FIN frame completed.
func (p *Parser) finish(emit func(*Message)) {
	m := &p.m
	*m = Message{
		Opcode:     p.msgOp,
		Compressed: p.msgCompressed,
		Masked:     p.msgMasked,
		WireLen:    int(p.msgWire),
		Frames:     p.msgFrames,
		PayloadLen: int(p.msgLen),
	}
	data := p.buf
	if p.direct != nil {
		data = p.direct
	}
	switch {
	case p.overBudget:
		m.Err = msgErr(p.msgStart, ErrOverBudget, "message of %d bytes not decoded: the WebSocket reassembly memory budget is in use by other connections; payload skipped (relayed unchanged)", p.msgLen)
		if p.msgCompressed && p.inf.takeover && p.inf.lost == nil {
			p.inf.lost = m.Err
		}
	case p.msgSkip:
		m.Err = msgErr(p.msgStart, ErrTooLarge, "message of %d bytes exceeds MaxMessage %d; payload skipped", p.msgLen, p.opt.MaxMessage)
		if p.msgCompressed && p.inf.takeover && p.inf.lost == nil {
			p.inf.lost = m.Err
		}
	case p.msgCompressed:
		m.Data, m.Err = p.inflate(data)
		m.Owned = m.Err == nil && letGo(m.Data, p.opt.Budget != nil)
	default:
		m.Data = data
		m.Owned = p.direct == nil && letGo(data, p.opt.Budget != nil)
	}
	owned := m.Owned
	if owned {
		m.Data = m.Data[:len(m.Data):len(m.Data)]
	}
	emit(m)
	m.Data = nil
	p.msgOn = false
	p.direct = nil
	p.buf = p.buf[:0]
	p.overBudget = false
	switch {
	case owned && !p.msgCompressed, p.opt.Budget != nil && cap(p.buf) > keepBudgeted:
		p.dropBuf()
	case cap(p.buf) > keepBuffer:
		p.buf = nil
	}
	if owned && p.msgCompressed {
		p.inf.dropOut()
	}
	p.inf.trim()
}

// letGo reports whether the buffer b (a message's whole data) is one the
// parser drops after the message (see keepBuffer, keepBudgeted), so it can
// be handed to the emit callback rather than copied there, and whether it
// is worth keeping as it is: little capacity beyond its length.
func letGo(b []byte, budgeted bool) bool {
	keep := keepBuffer
	if budgeted {
		keep = keepBudgeted
	}
	return cap(b) > keep && cap(b)-len(b) <= len(b)/4
}

// inflate decompresses a complete message and turns failures into message
// errors; under context takeover any failure loses the shared window for
// good, which later compressed messages report.
func (p *Parser) inflate(data []byte) ([]byte, error) {
	if p.inf.lost != nil {
		return nil, msgErr(p.msgStart, ErrContextLost, "compressed message of %d bytes not inflated, window lost earlier: %v", len(data), p.inf.lost)
	}
	out, err := p.inf.inflate(data)
	if err == nil {
		return out, nil
	}
	var e *decode.Error
	if err == errInflateBudget {
		e = msgErr(p.msgStart, ErrOverBudget, "message of %d compressed bytes not inflated: the WebSocket reassembly memory budget is in use by other connections", len(data))
	} else if err == errInflateOver {
		e = msgErr(p.msgStart, ErrInflateTooLarge, "message of %d compressed bytes inflates past MaxInflate %d", len(data), p.opt.MaxInflate)
	} else {
		e = msgErr(p.msgStart, ErrInflate, "inflating %d compressed bytes: %v", len(data), err)
	}
	if p.inf.takeover {
		p.inf.lost = e
	}
	return nil, e
}

// satAdd adds a length to a non-negative counter, saturating instead of
// overflowing: a hostile stream may declare 2^63-byte frames again and again.
func satAdd(a int64, l uint64) int64 {
	if l > uint64(math.MaxInt64-a) {
		return math.MaxInt64
	}
	return a + int64(l)
}

// Clone returns a parser in the same state with buffers of its own: it
// continues the same stream (same offset, same inflate window) from where
// p is. The active layer takes over a direction's decoding this way at a
// message boundary without re-reading the stream from its start.
func (p *Parser) Clone() *Parser {
	q := *p
	q.buf = slices.Clone(p.buf)
	q.direct = nil
	q.m = Message{}
	q.inf = inflater{takeover: p.inf.takeover, max: p.inf.max, winEnd: p.inf.winEnd, lost: p.inf.lost,
		win: slices.Clone(p.inf.win)}
	return &q
}
