package membudget

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Pool is a share that many holders draw on at once (WebSocket reassembly
// buffers of every connection). Reserve never blocks: a holder that is
// refused skips the work that needed the memory and reports it. Memory
// given back in bulk (connections holding huge unfinished frames closed)
// is returned to the operating system soon after, so RSS falls back
// instead of staying at its peak. Ordinary churn (a message buffered and
// released) does not trigger that: handing memory back costs a full
// collection and makes RSS saw up and down.
type Pool struct {
	max      int64
	used     atomic.Int64
	refused  atomic.Uint64
	peak     atomic.Int64 // highest use since the last reclaim
	reclaim  atomic.Bool  // a reclaim goroutine is pending
	lastFree atomic.Int64 // unix nanos of the last reclaim

	// ReclaimAfter is the use that, once reached and then mostly given
	// back (use below an eighth of it), makes the pool hand memory back to
	// the OS; 0 means max/2. Negative disables it (tests of the
	// accounting alone).
	ReclaimAfter int64
	// freeOS is debug.FreeOSMemory; a test may count calls.
	freeOS func()
}

// NewPool returns a pool of max bytes.
func NewPool(max int64) *Pool {
	return &Pool{max: max, freeOS: debug.FreeOSMemory}
}

// Reserve takes n bytes from the pool, or reports false (and counts the
// refusal) if that would exceed it. A nil Pool grants everything.
func (p *Pool) Reserve(n int) bool {
	if p == nil || n <= 0 {
		return true
	}
	for {
		u := p.used.Load()
		if u+int64(n) > p.max {
			p.refused.Add(1)
			return false
		}
		if p.used.CompareAndSwap(u, u+int64(n)) {
			for pk := p.peak.Load(); u+int64(n) > pk && !p.peak.CompareAndSwap(pk, u+int64(n)); pk = p.peak.Load() {
			}
			return true
		}
	}
}

// Release gives n reserved bytes back.
func (p *Pool) Release(n int) {
	if p == nil || n <= 0 {
		return
	}
	used := p.used.Add(-int64(n))
	after := p.ReclaimAfter
	if after == 0 {
		after = p.max / 2
	}
	if after < 0 {
		return
	}
	if pk := p.peak.Load(); pk >= after && used <= pk/8 && p.reclaim.CompareAndSwap(false, true) {
		p.peak.Store(used)
		go p.giveBack()
	}
}

// reclaimGap spaces reclaims: FreeOSMemory is a full collection.
const reclaimGap = time.Second

// giveBack returns freed memory to the OS once the buffers are garbage:
// the Go runtime would otherwise keep the heap at its peak until its
// background scavenger gets round to it, minutes later on an idle proxy.
func (p *Pool) giveBack() {
	defer p.reclaim.Store(false)
	if wait := time.Duration(p.lastFree.Load() + int64(reclaimGap) - time.Now().UnixNano()); wait > 0 {
		time.Sleep(wait)
	}
	p.freeOS()
	p.lastFree.Store(time.Now().UnixNano())
}

// Used is the bytes reserved now.
func (p *Pool) Used() int64 {
	if p == nil {
		return 0
	}
	return p.used.Load()
}

// Max is the pool's size.
func (p *Pool) Max() int64 {
	if p == nil {
		return 0
	}
	return p.max
}

// Refused counts the reservations refused so far.
func (p *Pool) Refused() uint64 {
	if p == nil {
		return 0
	}
	return p.refused.Load()
}
