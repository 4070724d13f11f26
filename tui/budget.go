package tui

import (
	"strconv"
	"unsafe"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

// Memory budget (--mem-budget) in the UI: the packet store is bounded by
// bytes as well as rows, and packets trimmed upstream (event.Event.Trim)
// are marked in the detail pane and counted in the status bar.

// rowSize is what one row of the store costs, held or not: the rows are
// one preallocated array.
const rowSize = int(unsafe.Sizeof(entry{}))

// newStoreBytes bounds the rows by maxBytes, their array included: a
// --view of millions of rows would otherwise preallocate gigabytes
// whatever --mem-budget said. Rows tells how many rows that leaves.
func newStoreBytes(capacity int, maxBytes int64) *store {
	if maxBytes <= 0 {
		return newStore(capacity)
	}
	rows, rest := membudget.Slots(maxBytes, rowSize, capacity)
	s := newStore(rows)
	s.maxBytes = rest
	return s
}

// Rows is how many packet rows a UI with these Options keeps: Capacity,
// or fewer when MaxBytes cannot hold that many.
func Rows(capacity int, maxBytes int64) int {
	if maxBytes <= 0 {
		return capacity
	}
	rows, _ := membudget.Slots(maxBytes, rowSize, capacity)
	return rows
}

// account adds a new row's bytes and evicts the oldest rows while the
// store is over its byte bound (the newest row always stays).
func (s *store) account(e *entry) {
	if s.maxBytes <= 0 {
		return
	}
	s.bytes += int64(e.ev.MemSize())
	for s.bytes > s.maxBytes && s.filled > 1 {
		seq := s.oldest()
		old := &s.buf[seq%uint64(len(s.buf))]
		s.forget(old, seq)
		s.unaccount(old)
		*old = entry{}
		s.filled--
		s.evicted++
	}
}

// unaccount removes an evicted row's bytes.
func (s *store) unaccount(e *entry) {
	if s.maxBytes > 0 {
		s.bytes -= int64(e.ev.MemSize())
	}
}

// appendTrimmed adds the status bar's count of trimmed packets.
func appendTrimmed(parts []string, st Stats) []string {
	if st.Trimmed == 0 {
		return parts
	}
	return append(parts, strconv.FormatUint(st.Trimmed, 10)+" trimmed")
}

// trimmedNote says, in the detail pane, what a trimmed packet lost.
func trimmedNote(ev *event.Event) string {
	return strconv.FormatInt(ev.Trimmed, 10) + " B of args/attachments/wire bytes not kept in memory (--mem-budget); the recording and --json have them"
}
