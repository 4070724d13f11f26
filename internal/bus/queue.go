// Package bus moves observations and events between goroutines without ever
// blocking the producer. Every structure here has a capacity and counts what
// it had to drop, so the user can be told what was lost (DESIGN.md §3).
package bus

import (
	"sync"
	"sync/atomic"
)

// Queue is a bounded FIFO with one consumer. Push never blocks: when the
// queue is full the item is dropped and counted.
//
// A queue made by NewQueueBytes is also bounded by the bytes its items
// hold, so a burst of large items (64 KiB WebSocket messages) cannot make
// a count-bounded queue hold gigabytes.
type Queue[T any] struct {
	ch      chan T
	dropped atomic.Uint64

	// Byte accounting (NewQueueBytes only). The consumer just receives
	// from C, so it cannot report what it took; instead Push infers it:
	// the channel is FIFO, so pushed-len(ch) items have left, and their
	// sizes are the oldest in sizes. len(ch) only shrinks between sends,
	// which are all made under mu, so the inference never over-counts.
	size     func(T) int
	maxBytes int64
	mu       sync.Mutex
	sizes    []int // ring of sizes of items pushed and maybe not yet received
	head     int   // index of the oldest size in sizes
	held     int   // sizes in the ring
	bytes    atomic.Int64

	// fanMu orders PushAll's pushes to a list of queues led by this one.
	fanMu sync.Mutex
}

// NewQueue returns a queue holding at most capacity items.
func NewQueue[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Queue[T]{ch: make(chan T, capacity)}
}

// NewQueueBytes returns a queue holding at most capacity items whose
// sizes, as reported by size, add up to at most maxBytes. An item larger
// than maxBytes on its own is accepted when the queue is empty, so a
// single large item is never starved.
func NewQueueBytes[T any](capacity int, maxBytes int64, size func(T) int) *Queue[T] {
	q := NewQueue[T](capacity)
	q.size, q.maxBytes = size, maxBytes
	q.sizes = make([]int, cap(q.ch))
	return q
}

// Push enqueues v, or drops it if the queue is full. It reports whether v
// was enqueued.
func (q *Queue[T]) Push(v T) bool {
	if q.size != nil {
		return q.pushBytes(v)
	}
	select {
	case q.ch <- v:
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// Fits reports whether Push(v) would enqueue v now. With a single
// producer the answer holds until that producer pushes, so a producer
// that must not lose items can wait for Fits before pushing.
func (q *Queue[T]) Fits(v T) bool {
	if q.size == nil {
		return len(q.ch) < cap(q.ch)
	}
	n := q.size(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.forget()
	return q.held < cap(q.ch) && (q.held == 0 || q.bytes.Load()+int64(n) <= q.maxBytes)
}

// forget drops the sizes of items the consumer has received. q.mu held.
func (q *Queue[T]) forget() {
	for left := q.held - len(q.ch); left > 0; left-- {
		q.bytes.Add(-int64(q.sizes[q.head]))
		q.head = (q.head + 1) % len(q.sizes)
		q.held--
	}
}

func (q *Queue[T]) pushBytes(v T) bool {
	n := q.size(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.forget()
	if q.held > 0 && q.bytes.Load()+int64(n) > q.maxBytes {
		q.dropped.Add(1)
		return false
	}
	select {
	case q.ch <- v:
		q.sizes[(q.head+q.held)%len(q.sizes)] = n
		q.held++
		q.bytes.Add(int64(n))
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// C is the consumer's end.
func (q *Queue[T]) C() <-chan T { return q.ch }

// Close ends the queue; the consumer drains what is left. Push must not be
// called after Close.
func (q *Queue[T]) Close() { close(q.ch) }

// Dropped is the number of items dropped so far.
func (q *Queue[T]) Dropped() uint64 { return q.dropped.Load() }

// Len is the number of items waiting.
func (q *Queue[T]) Len() int { return len(q.ch) }

// Cap is the capacity.
func (q *Queue[T]) Cap() int { return cap(q.ch) }

// Bytes is an upper bound of the bytes held by waiting items (as of the
// last Push); 0 for a queue made by NewQueue.
func (q *Queue[T]) Bytes() int64 { return q.bytes.Load() }
