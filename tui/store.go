package tui

import (
	"sort"

	"github.com/sioproxy/sioproxy/internal/event"
)

// entry is one row of the packet stream.
type entry struct {
	ev   event.Event
	link uint64 // seq of the linked EVENT or ACK, 0 if none
}

// store is the model's own bounded ring of packet-stream rows. Every row
// gets a store sequence number (first is 1) that never changes, so cursor
// positions survive evictions.
type store struct {
	buf     []entry
	next    uint64 // seq of the next row
	filled  uint64 // rows held: min(capacity, rows added since clear)
	evicted uint64 // rows that fell out of the ring since the last clear

	// Byte bound (newStoreBytes): rows' event.MemSize add up to bytes.
	maxBytes int64
	bytes    int64

	// pending maps an EVENT that asked for an ack to its row, until the
	// ACK arrives or the row is evicted; bounded by the ring size.
	pending map[ackKey]uint64
}

type ackKey struct {
	sid, nsp, dir string
	id            int64
}

func newStore(capacity int) *store {
	return &store{buf: make([]entry, capacity), next: 1, pending: make(map[ackKey]uint64)}
}

// oldest is the seq of the oldest row still held.
func (s *store) oldest() uint64 { return s.next - s.filled }

// get returns the row with seq, nil if it was evicted or cleared.
func (s *store) get(seq uint64) *entry {
	if seq < s.oldest() || seq >= s.next || seq == 0 {
		return nil
	}
	return &s.buf[seq%uint64(len(s.buf))]
}

// add appends ev and returns its seq.
func (s *store) add(ev *event.Event) uint64 {
	seq := s.next
	slot := &s.buf[seq%uint64(len(s.buf))]
	if s.filled == uint64(len(s.buf)) {
		s.evicted++
		s.forget(slot, seq-uint64(len(s.buf)))
		s.unaccount(slot)
	} else {
		s.filled++
	}
	*slot = entry{ev: *ev}
	s.next++
	s.linkAck(slot, seq)
	s.account(slot)
	return seq
}

func (s *store) forget(old *entry, oldSeq uint64) {
	if old.ev.ID == nil || isAck(old.ev.Type) {
		return
	}
	k := ackKey{old.ev.Sid, nsOf(&old.ev), old.ev.Dir, *old.ev.ID}
	if s.pending[k] == oldSeq {
		delete(s.pending, k)
	}
}

func (s *store) linkAck(e *entry, seq uint64) {
	ev := &e.ev
	if ev.ID == nil || ev.Type == "" {
		return
	}
	if isAck(ev.Type) {
		k := ackKey{ev.Sid, nsOf(ev), reverseDir(ev.Dir), *ev.ID}
		if evSeq, ok := s.pending[k]; ok {
			delete(s.pending, k)
			if target := s.get(evSeq); target != nil {
				e.link = evSeq
				target.link = seq
			}
		}
		return
	}
	s.pending[ackKey{ev.Sid, nsOf(ev), ev.Dir, *ev.ID}] = seq
}

// clear drops every row; sequence numbers keep counting.
func (s *store) clear() {
	for i := range s.buf {
		s.buf[i] = entry{}
	}
	s.filled = 0
	s.evicted = 0
	s.bytes = 0
	clear(s.pending)
}

func isAck(t string) bool { return t == "ACK" || t == "BINARY_ACK" }

func nsOf(ev *event.Event) string {
	if ev.Nsp == "" {
		return "/"
	}
	return ev.Nsp
}

func reverseDir(d string) string {
	if d == "c2s" {
		return "s2c"
	}
	return "c2s"
}

// seqList is the ordered list of row seqs that pass the current filter.
// It trims from the front as rows are evicted without reallocating.
type seqList struct {
	s     []uint64
	start int
}

func (l *seqList) len() int             { return len(l.s) - l.start }
func (l *seqList) at(i int) uint64      { return l.s[l.start+i] }
func (l *seqList) push(seq uint64)      { l.s = append(l.s, seq) }
func (l *seqList) reset()               { l.s = l.s[:0]; l.start = 0 }
func (l *seqList) last() (uint64, bool) { n := l.len(); return l.lastOr(n), n > 0 }
func (l *seqList) lastOr(n int) uint64 {
	if n == 0 {
		return 0
	}
	return l.at(n - 1)
}

// trim drops seqs below oldest, compacting now and then so the backing
// array stays within twice the ring's capacity.
func (l *seqList) trim(oldest uint64) {
	for l.start < len(l.s) && l.s[l.start] < oldest {
		l.start++
	}
	if l.start > 1024 && l.start > len(l.s)/2 {
		n := copy(l.s, l.s[l.start:])
		l.s = l.s[:n]
		l.start = 0
	}
}

// index returns the position of the first seq >= seq.
func (l *seqList) index(seq uint64) int {
	v := l.s[l.start:]
	return sort.Search(len(v), func(i int) bool { return v[i] >= seq })
}
