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

	// Byte bound (NewRingBytes only): items are evicted oldest first while
	// the held items' sizes exceed maxBytes; floor is then the oldest
	// sequence number still held.
	size     func(T) int
	maxBytes int64
	sizes    []int
	bytes    int64
	floor    uint64

	// The reader's progress, for PublishWait: the newest sequence number
	// Since returned, and the sizes of the held items after it.
	read        uint64
	unreadBytes int64
	readWake    chan struct{}
	gone        chan struct{} // closed by ReaderGone
	goneOnce    sync.Once
}

// NewRingBytes returns a ring holding the newest capacity items whose
// sizes, as reported by size, add up to at most maxBytes (the newest item
// is always held, however large). Readers that fall behind are told what
// they missed, as with count eviction.
func NewRingBytes[T any](capacity int, maxBytes int64, size func(T) int) *Ring[T] {
	r := NewRing[T](capacity)
	r.size, r.maxBytes, r.sizes = size, maxBytes, make([]int, len(r.buf))
	r.floor = 1
	return r
}

// evictBytes drops the oldest items until the held bytes fit. r.mu held;
// newest is the sequence number just published.
func (r *Ring[T]) evictBytes(newest uint64) {
	var zero T
	for r.bytes > r.maxBytes && r.floor < newest {
		i := r.floor % uint64(len(r.buf))
		r.bytes -= int64(r.sizes[i])
		if r.floor > r.read {
			r.unreadBytes -= int64(r.sizes[i])
		}
		r.sizes[i] = 0
		r.buf[i] = zero // let the payload go now, not when the slot is reused
		r.floor++
	}
}

// Bytes is the size of the items held (0 for a ring made by NewRing).
func (r *Ring[T]) Bytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

// NewRing returns a ring holding the newest capacity items.
func NewRing[T any](capacity int) *Ring[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring[T]{buf: make([]T, capacity), next: 1, wake: make(chan struct{}, 1), readWake: make(chan struct{}, 1), gone: make(chan struct{})}
}

// Publish appends v and returns its sequence number. It never blocks.
func (r *Ring[T]) Publish(v T) uint64 {
	r.mu.Lock()
	seq := r.next
	i := seq % uint64(len(r.buf))
	r.buf[i] = v
	r.next++
	if r.size != nil {
		if old := seq - min(seq, uint64(len(r.buf))); old >= r.floor {
			r.floor = old + 1 // the slot's previous item was overwritten
		}
		n := r.size(v)
		if seq > uint64(len(r.buf)) && seq-uint64(len(r.buf)) > r.read {
			r.unreadBytes -= int64(r.sizes[i]) // overwritten unread
		}
		r.unreadBytes += int64(n)
		r.bytes += int64(n - r.sizes[i])
		r.sizes[i] = n
		r.evictBytes(seq)
	}
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
	if r.floor > oldest {
		oldest = r.floor
	}
	if after > r.read {
		// The reader skipped items it never took (it started at the
		// newest): they are not unread any more.
		s := r.read + 1
		if s < oldest {
			s = oldest
		}
		for ; s <= after && s < r.next && r.sizes != nil; s++ {
			r.unreadBytes -= int64(r.sizes[s%uint64(len(r.buf))])
		}
		r.read = min(after, r.next-1)
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
		i := s % uint64(len(r.buf))
		dst = append(dst, r.buf[i])
		if s > r.read && r.sizes != nil {
			r.unreadBytes -= int64(r.sizes[i])
		}
		last = s
		max--
	}
	if last > r.read {
		r.read = last
		select {
		case r.readWake <- struct{}{}:
		default:
		}
	}
	return dst, last, missed
}

// PublishWait is Publish for a publisher that must lose nothing (a
// replay into the terminal UI, played as fast as the UI takes it): it
// first waits until the reader (Since) has taken what v would push out,
// by count or by bytes. If done closes or the reader is gone (ReaderGone)
// first, it publishes anyway, and a reader is told what it missed as
// usual. One publisher only.
func (r *Ring[T]) PublishWait(done <-chan struct{}, v T) uint64 {
	for {
		r.mu.Lock()
		ok := r.roomFor(v)
		r.mu.Unlock()
		if ok {
			return r.Publish(v)
		}
		select {
		case <-r.readWake:
		case <-done:
			return r.Publish(v)
		case <-r.gone:
			return r.Publish(v)
		}
	}
}

// ReaderGone tells PublishWait that nobody will read any more (the UI
// quit), so a lossless publisher still draining its input never waits for
// it.
func (r *Ring[T]) ReaderGone() { r.goneOnce.Do(func() { close(r.gone) }) }

// roomFor reports whether publishing v now loses no unread item. r.mu held.
func (r *Ring[T]) roomFor(v T) bool {
	unread := r.next - 1 - r.read // Since keeps read below next
	if unread == 0 {
		return true // the newest item is always held
	}
	if unread >= uint64(len(r.buf)) {
		return false
	}
	return r.size == nil || r.unreadBytes+int64(r.size(v)) <= r.maxBytes
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

// Cap is how many items the ring has slots for.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// MaxBytes is the bound on the held items' sizes (0 for a ring made by
// NewRing).
func (r *Ring[T]) MaxBytes() int64 { return r.maxBytes }
