package session

import (
	"fmt"
	"testing"
)

// The request history keeps the last max requests, oldest first, however
// many came, in one array that it never outgrows.
func TestAddRequestKeepsTheLastMax(t *testing.T) {
	for _, max := range []int{1, 2, 3, 64} {
		for _, n := range []int{0, 1, max - 1, max, max + 1, 2 * max, 5*max + 3} {
			t.Run(fmt.Sprintf("max %d, %d requests", max, n), func(t *testing.T) {
				s := &Session{}
				for i := 1; i <= n; i++ {
					s.addRequest(Request{Exchange: uint64(i), Method: "GET"}, max)
				}
				if s.RequestCount != n {
					t.Errorf("RequestCount = %d, want %d", s.RequestCount, n)
				}
				want := min(n, max)
				if len(s.Requests) != want {
					t.Fatalf("%d requests kept, want %d", len(s.Requests), want)
				}
				for i, r := range s.Requests {
					if w := uint64(n - want + i + 1); r.Exchange != w {
						t.Fatalf("Requests[%d] is exchange %d, want %d (history %v)", i, r.Exchange, w, s.Requests)
					}
				}
				if n > 0 && cap(s.reqBuf) != max+max/2+1 {
					t.Errorf("backing array of %d, want %d", cap(s.reqBuf), max+max/2+1)
				}
				// Entries outside the window hold nothing.
				full := s.reqBuf[:cap(s.reqBuf)]
				inWindow := map[uint64]bool{}
				for _, r := range s.Requests {
					inWindow[r.Exchange] = true
				}
				for i, r := range full {
					if r.Exchange != 0 && !inWindow[r.Exchange] {
						t.Errorf("slot %d still holds dropped exchange %d", i, r.Exchange)
					}
				}
			})
		}
	}
}

// A history set before the first addRequest (a test's fixture) is kept.
func TestAddRequestAdoptsAnExistingHistory(t *testing.T) {
	s := &Session{Requests: []Request{{Exchange: 1}, {Exchange: 2}}}
	s.addRequest(Request{Exchange: 3}, 2)
	if len(s.Requests) != 2 || s.Requests[0].Exchange != 2 || s.Requests[1].Exchange != 3 {
		t.Errorf("history %v, want exchanges 2 and 3", s.Requests)
	}
}

func BenchmarkAddRequest(b *testing.B) {
	s := &Session{}
	r := Request{Method: "GET", Upstream: "http://up", SetCookie: []string{"a=b"}}
	b.ReportAllocs()
	for b.Loop() {
		s.addRequest(r, 64)
	}
}
