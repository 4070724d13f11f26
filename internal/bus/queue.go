// Package bus moves observations and events between goroutines without ever
// blocking the producer. Every structure here has a capacity and counts what
// it had to drop, so the user can be told what was lost (DESIGN.md §3).
package bus

import "sync/atomic"

// Queue is a bounded FIFO with one consumer. Push never blocks: when the
// queue is full the item is dropped and counted.
type Queue[T any] struct {
	ch      chan T
	dropped atomic.Uint64
}

// NewQueue returns a queue holding at most capacity items.
func NewQueue[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Queue[T]{ch: make(chan T, capacity)}
}

// Push enqueues v, or drops it if the queue is full. It reports whether v
// was enqueued.
func (q *Queue[T]) Push(v T) bool {
	select {
	case q.ch <- v:
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
