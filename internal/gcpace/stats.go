package gcpace

import (
	"fmt"
	"io"
	"runtime/debug"
	"runtime/metrics"
)

// statNames are the runtime metrics WriteStats reports, in its order.
var statNames = []string{
	"/gc/heap/live:bytes",
	"/gc/heap/goal:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
	"/gc/cycles/total:gc-cycles",
}

// WriteStats writes one line of the memory figures the pacer works with,
// in bytes: the soft limit in force (the pacer's latest one while it
// runs), the live heap and heap goal, the heap's released and free pages,
// NonHeap as the pacer computes it, the cycle count and how many of the
// cycles the pacer started. It is served
// with SIOPROXY_PPROF at /debug/memory, for the soak benchmark to show
// what RSS follows.
func WriteStats(w io.Writer) error {
	s := make([]metrics.Sample, len(statNames))
	for i, n := range statNames {
		s[i].Name = n
	}
	metrics.Read(s)
	u := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	heap := u(3) + u(4) + u(5)
	total := u(6) - u(2)
	_, err := fmt.Fprintf(w, "limit=%d live=%d goal=%d released=%d free=%d nonheap=%d cycles=%d started=%d\n",
		debug.SetMemoryLimit(-1), u(0), u(1), u(2), u(3), total-min(total, heap), u(7), startedAll.Load())
	return err
}
