package bus

// PushAll pushes v to every queue of qs, never blocking, as Push does.
//
// Pushers that share a list of queues reach them all in the same order.
// Without that, two goroutines pushing at once could reach the analyzer's
// queue in one order and the recorder's in the other: a polling POST and
// GET ending within microseconds then printed live in one order and, from
// the recording, in the other, and `replay --json` no longer equalled the
// live output (seen under a CPU hog). The lock belongs to the list's first
// queue, so every producer of one process (the reverse proxy, the
// listeners, the demo's two relays) shares it without sharing an object.
func PushAll[T any](qs []*Queue[T], v T) {
	switch len(qs) {
	case 0:
	case 1:
		qs[0].Push(v)
	default:
		mu := &qs[0].fanMu
		mu.Lock()
		for _, q := range qs {
			q.Push(v)
		}
		mu.Unlock()
	}
}
