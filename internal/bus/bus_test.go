package bus

import "testing"

func TestQueueDropsWhenFull(t *testing.T) {
	q := NewQueue[int](2)
	for i := 0; i < 5; i++ {
		q.Push(i)
	}
	if got := q.Dropped(); got != 3 {
		t.Fatalf("dropped = %d, want 3", got)
	}
	if a, b := <-q.C(), <-q.C(); a != 0 || b != 1 {
		t.Fatalf("got %d,%d want 0,1", a, b)
	}
}

func TestRingSince(t *testing.T) {
	tests := []struct {
		name       string
		publish    int
		after      uint64
		max        int
		want       []int
		wantLast   uint64
		wantMissed uint64
	}{
		{"empty", 0, 0, 10, nil, 0, 0},
		{"all", 3, 0, 10, []int{1, 2, 3}, 3, 0},
		{"max", 3, 0, 2, []int{1, 2}, 2, 0},
		{"after", 3, 2, 10, []int{3}, 3, 0},
		{"caught up", 3, 3, 10, nil, 3, 0},
		{"overwritten", 6, 0, 10, []int{3, 4, 5, 6}, 6, 2},
		{"overwritten max 0", 6, 0, 0, nil, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRing[int](4)
			for i := 1; i <= tc.publish; i++ {
				r.Publish(i)
			}
			got, last, missed := r.Since(nil, tc.after, tc.max)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v want %v", got, tc.want)
				}
			}
			if last != tc.wantLast || missed != tc.wantMissed {
				t.Fatalf("last,missed = %d,%d want %d,%d", last, missed, tc.wantLast, tc.wantMissed)
			}
		})
	}
}

func BenchmarkRingPublish(b *testing.B) {
	r := NewRing[int](1 << 16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Publish(i)
	}
}

func BenchmarkQueuePush(b *testing.B) {
	q := NewQueue[int](1 << 16)
	done := make(chan struct{})
	go func() {
		for range q.C() {
		}
		close(done)
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Push(i)
	}
	q.Close()
	<-done
}
