package bus

import "sync"

// Ring keeps the newest items in a fixed-size ring, each with a sequence
// number that only goes up. Readers pull with Since at their own pace (the
// TUI on a tick); a reader that falls behind by more than the capacity is
// told how many items it missed instead of slowing the writer.
type Ring[T any] struct {
	mu    sync.Mutex
	buf   []T
	next  uint64 // sequence number of the next item; first item is 1
	wake  chan struct{}
	total uint64
}

// NewRing returns a ring holding the newest capacity items.
func NewRing[T any](capacity int) *Ring[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring[T]{buf: make([]T, capacity), next: 1, wake: make(chan struct{}, 1)}
}

// Publish appends v and returns its sequence number. It never blocks.
func (r *Ring[T]) Publish(v T) uint64 {
	r.mu.Lock()
	seq := r.next
	r.buf[seq%uint64(len(r.buf))] = v
	r.next++
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return seq
}

// Since appends to dst up to max items with sequence numbers greater than
// after, oldest first. It returns the extended slice, the sequence number of
// the last item returned (after itself if none) and how many items after
// `after` had already been overwritten.
func (r *Ring[T]) Since(dst []T, after uint64, max int) ([]T, uint64, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := after + 1
	oldest := uint64(1)
	if r.next > uint64(len(r.buf)) {
		oldest = r.next - uint64(len(r.buf))
	}
	var missed uint64
	if first < oldest {
		missed = oldest - first
		first = oldest
	}
	last := after
	if missed > 0 {
		last = first - 1
	}
	for s := first; s < r.next && max > 0; s++ {
		dst = append(dst, r.buf[s%uint64(len(r.buf))])
		last = s
		max--
	}
	return dst, last, missed
}

// Last is the sequence number of the newest item, 0 if none.
func (r *Ring[T]) Last() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next - 1
}

// Wake is signalled (coalesced) after Publish, for readers that want to wait
// rather than poll.
func (r *Ring[T]) Wake() <-chan struct{} { return r.wake }
