package tui

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

func TestStoreByteBound(t *testing.T) {
	s := newStoreBytes(10000, 1<<20)
	id := int64(1)
	for i := 0; i < 500; i++ {
		s.add(&event.Event{Kind: event.KindPacket, Type: "EVENT", ID: &id, Sid: "a", Args: json.RawMessage(`["` + strings.Repeat("x", 64<<10) + `"]`)})
	}
	if s.bytes > 1<<20 {
		t.Fatalf("store holds %d bytes, bound 1 MiB", s.bytes)
	}
	if s.filled == 0 || s.evicted == 0 || s.filled+s.evicted != 500 {
		t.Fatalf("filled %d evicted %d", s.filled, s.evicted)
	}
	var sum int64
	for seq := s.oldest(); seq < s.next; seq++ {
		sum += int64(s.get(seq).ev.MemSize())
	}
	if sum != s.bytes {
		t.Fatalf("accounted %d, rows hold %d", s.bytes, sum)
	}
	if len(s.pending) > int(s.filled) {
		t.Fatalf("%d pending acks for %d rows", len(s.pending), s.filled)
	}
}

func TestTrimmedShown(t *testing.T) {
	if got := strings.Join(appendTrimmed(nil, Stats{Trimmed: 3}), ""); got != "3 trimmed" {
		t.Fatalf("status part %q", got)
	}
	if n := trimmedNote(&event.Event{Trimmed: 1 << 20}); !strings.Contains(n, "1048576 B") {
		t.Fatalf("detail note %q", n)
	}
}

// TestStoreRowsWithinBytes: a --view of millions of rows does not
// preallocate them beyond the view's share of the budget.
func TestStoreRowsWithinBytes(t *testing.T) {
	for _, tc := range []struct {
		capacity int
		maxBytes int64
		capped   bool
	}{
		{10000, 32 << 20, false},
		{10_000_000, 32 << 20, true},
		{10000, 2 << 20, true},
		{10000, 0, false}, // no byte bound: the rows asked for
	} {
		s := newStoreBytes(tc.capacity, tc.maxBytes)
		if got := Rows(tc.capacity, tc.maxBytes); got != len(s.buf) {
			t.Fatalf("Rows(%d, %d) = %d, the store has %d", tc.capacity, tc.maxBytes, got, len(s.buf))
		}
		if (len(s.buf) < tc.capacity) != tc.capped {
			t.Fatalf("capacity %d, bytes %d: %d rows, capped want %v", tc.capacity, tc.maxBytes, len(s.buf), tc.capped)
		}
		if tc.maxBytes > 0 && int64(len(s.buf)*rowSize)+s.maxBytes > tc.maxBytes {
			t.Fatalf("capacity %d, bytes %d: rows %d B + items %d B exceed it", tc.capacity, tc.maxBytes, len(s.buf)*rowSize, s.maxBytes)
		}
	}
}
