package bus

import (
	"slices"
	"sync"
	"testing"
)

// TestPushAllOrder pushes from several goroutines at once to a list of
// three queues (the analyzer's, the recorder's, the UI cache's) and
// checks that each queue received the items in the same order, with
// nothing lost. Pushing queue by queue without PushAll's lock fails this
// within a few thousand items on two cores.
func TestPushAllOrder(t *testing.T) {
	const pushers, each = 4, 50000
	qs := []*Queue[int]{NewQueue[int](pushers * each), NewQueueBytes(pushers*each, 1<<40, func(int) int { return 8 }), NewQueue[int](pushers * each)}
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				PushAll(qs, p*each+i)
			}
		}()
	}
	wg.Wait()
	var got [][]int
	for _, q := range qs {
		q.Close()
		var seq []int
		for v := range q.C() {
			seq = append(seq, v)
		}
		if len(seq) != pushers*each || q.Dropped() != 0 {
			t.Fatalf("a queue got %d items and dropped %d, want %d and 0", len(seq), q.Dropped(), pushers*each)
		}
		got = append(got, seq)
	}
	for i := 1; i < len(got); i++ {
		if !slices.Equal(got[0], got[i]) {
			j := 0
			for got[0][j] == got[i][j] {
				j++
			}
			t.Fatalf("queue %d's order differs from queue 0's at item %d: %d, not %d", i, j, got[i][j], got[0][j])
		}
	}
}

func TestPushAllOneOrNone(t *testing.T) {
	PushAll[int](nil, 1) // nothing to push to: no panic
	q := NewQueue[int](1)
	PushAll([]*Queue[int]{q}, 7)
	if v := <-q.C(); v != 7 {
		t.Fatalf("got %d, want 7", v)
	}
}
