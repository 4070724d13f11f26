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

func TestQueueBytes(t *testing.T) {
	tests := []struct {
		name        string
		sizes       []int
		consume     int // items received before the last push
		wantPushed  []bool
		wantDropped uint64
	}{
		{"under budget", []int{30, 30, 30}, 0, []bool{true, true, true}, 0},
		{"over budget", []int{60, 50}, 0, []bool{true, false}, 1},
		{"oversized alone", []int{500}, 0, []bool{true}, 0},
		{"oversized behind another", []int{10, 500}, 0, []bool{true, false}, 1},
		{"room after receive", []int{60, 60, 60}, 2, []bool{true, false, true}, 1},
		{"count cap", []int{1, 1, 1, 1, 1}, 0, []bool{true, true, true, true, false}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := NewQueueBytes(4, 100, func(v int) int { return v })
			for i, n := range tc.sizes {
				if i == len(tc.sizes)-1 {
					for range tc.consume {
						select {
						case <-q.C():
						default:
						}
					}
				}
				if got := q.Push(n); got != tc.wantPushed[i] {
					t.Fatalf("push %d (size %d) = %v, want %v", i, n, got, tc.wantPushed[i])
				}
			}
			if got := q.Dropped(); got != tc.wantDropped {
				t.Fatalf("dropped = %d, want %d", got, tc.wantDropped)
			}
		})
	}
}

func TestQueueFits(t *testing.T) {
	q := NewQueueBytes(2, 100, func(v int) int { return v })
	if !q.Fits(500) {
		t.Fatal("an oversized item does not fit an empty queue")
	}
	q.Push(60)
	if q.Fits(50) || !q.Fits(40) {
		t.Fatal("byte budget not applied")
	}
	q.Push(40)
	if q.Fits(0) {
		t.Fatal("count cap not applied")
	}
	<-q.C()
	if !q.Fits(60) {
		t.Fatal("a received item still counts")
	}
	c := NewQueue[int](1)
	if !c.Fits(1) || !c.Push(1) || c.Fits(1) {
		t.Fatal("count-only queue")
	}
}

func TestQueueBytesWrapsAround(t *testing.T) {
	q := NewQueueBytes(3, 1000, func(v int) int { return v })
	for i := range 100 {
		if !q.Push(10 + i) {
			t.Fatalf("push %d dropped with a drained queue", i)
		}
		if got := <-q.C(); got != 10+i {
			t.Fatalf("received %d, want %d", got, 10+i)
		}
	}
	q.Push(1) // forgets the received items
	if got := q.Bytes(); got != 1 {
		t.Fatalf("bytes = %d, want 1", got)
	}
}

func BenchmarkQueueBytesPush(b *testing.B) {
	q := NewQueueBytes(1<<16, 1<<30, func(v int) int { return 64 })
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

func TestRingBytes(t *testing.T) {
	r := NewRingBytes[[]byte](100, 1000, func(b []byte) int { return len(b) })
	for i := 0; i < 10; i++ {
		r.Publish(make([]byte, 300))
	}
	if b := r.Bytes(); b > 1000 {
		t.Fatalf("holds %d bytes, max 1000", b)
	}
	got, last, missed := r.Since(nil, 0, 100)
	if len(got) != 3 || last != 10 || missed != 7 {
		t.Fatalf("Since: %d items, last %d, missed %d; want 3, 10, 7", len(got), last, missed)
	}
	// One item larger than the bound is still held, alone.
	r.Publish(make([]byte, 5000))
	got, last, missed = r.Since(nil, 10, 100)
	if len(got) != 1 || last != 11 || missed != 0 || r.Bytes() != 5000 {
		t.Fatalf("big item: %d items, last %d, missed %d, bytes %d", len(got), last, missed, r.Bytes())
	}
	// Count eviction still applies, and keeps the byte count right.
	c := NewRingBytes[[]byte](4, 1<<20, func(b []byte) int { return len(b) })
	for i := 0; i < 10; i++ {
		c.Publish(make([]byte, 10))
	}
	if c.Bytes() != 40 {
		t.Fatalf("count-bounded ring holds %d bytes, want 40", c.Bytes())
	}
	got, _, missed = c.Since(nil, 0, 100)
	if len(got) != 4 || missed != 6 {
		t.Fatalf("count eviction: %d items, missed %d", len(got), missed)
	}
}

// BenchmarkRingBytesPublish is BenchmarkRingPublish with the byte bound
// the terminal UI's ring has (--mem-budget).
func BenchmarkRingBytesPublish(b *testing.B) {
	r := NewRingBytes[int](1<<16, 1<<20, func(int) int { return 600 })
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Publish(i)
	}
}
