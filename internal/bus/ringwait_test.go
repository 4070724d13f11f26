package bus

import (
	"testing"
	"time"
)

// TestRingPublishWait: a publisher that must lose nothing waits for a
// reader that takes a few items at a time, whether the count or the byte
// bound is what fills, and the reader gets every item in order.
func TestRingPublishWait(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity int
		maxBytes int64
		size     int
	}{
		{"count bound", 8, 1 << 20, 10},
		{"byte bound", 1000, 100, 30},
		{"item over the byte bound", 1000, 100, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRingBytes[int](tc.capacity, tc.maxBytes, func(int) int { return tc.size })
			const n = 500
			go func() {
				for i := 1; i <= n; i++ {
					r.PublishWait(nil, i)
				}
			}()
			var got []int
			var after uint64
			deadline := time.Now().Add(30 * time.Second)
			for len(got) < n && time.Now().Before(deadline) {
				var missed uint64
				got, after, missed = r.Since(got, after, 3)
				if missed > 0 {
					t.Fatalf("missed %d items after %d", missed, len(got))
				}
				select {
				case <-r.Wake():
				case <-time.After(10 * time.Millisecond):
				}
			}
			if len(got) != n {
				t.Fatalf("got %d of %d items", len(got), n)
			}
			for i, v := range got {
				if v != i+1 {
					t.Fatalf("item %d is %d", i, v)
				}
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.unreadBytes != 0 {
				t.Fatalf("all read, but %d unread bytes accounted", r.unreadBytes)
			}
		})
	}
}

// TestRingPublishWaitDone: with no reader, done or ReaderGone ends the
// wait and the item is published, the overwritten one counted as missed.
func TestRingPublishWaitDone(t *testing.T) {
	for _, how := range []string{"done", "reader gone"} {
		t.Run(how, func(t *testing.T) {
			r := NewRing[int](2)
			r.PublishWait(nil, 1)
			r.PublishWait(nil, 2)
			done := make(chan struct{})
			published := make(chan uint64)
			go func() { published <- r.PublishWait(done, 3) }()
			select {
			case seq := <-published:
				t.Fatalf("published as %d with the ring full and unread", seq)
			case <-time.After(50 * time.Millisecond):
			}
			if how == "done" {
				close(done)
			} else {
				r.ReaderGone()
				r.ReaderGone() // the UI may say it twice
			}
			if seq := <-published; seq != 3 {
				t.Fatalf("seq %d, want 3", seq)
			}
			if _, _, missed := r.Since(nil, 0, 10); missed != 1 {
				t.Fatalf("missed %d, want 1", missed)
			}
		})
	}
}

// TestRingUnreadBytes: the unread byte count follows evictions,
// overwrites, reads and a reader that starts at the newest item.
func TestRingUnreadBytes(t *testing.T) {
	r := NewRingBytes[int](4, 100, func(v int) int { return v })
	check := func(step string) {
		t.Helper()
		r.mu.Lock()
		defer r.mu.Unlock()
		var want int64
		for s := max(r.read+1, r.floor); s < r.next; s++ {
			if r.next > uint64(len(r.buf)) && s < r.next-uint64(len(r.buf)) {
				continue
			}
			want += int64(r.sizes[s%uint64(len(r.buf))])
		}
		if r.unreadBytes != want {
			t.Fatalf("%s: unread bytes %d, held unread items hold %d", step, r.unreadBytes, want)
		}
	}
	for i := 0; i < 6; i++ {
		r.Publish(10)
	}
	check("overwrites")
	r.Publish(90)
	check("byte eviction")
	r.Since(nil, 0, 1)
	check("one read")
	r.Publish(5)
	r.Publish(5)
	r.Since(nil, r.Last()-1, 10) // a reader that starts near the newest
	check("skip ahead")
}
