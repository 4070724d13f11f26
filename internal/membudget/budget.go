// Package membudget is sioproxy's one memory budget (--mem-budget). The
// budget is split into fixed shares, one per holder of wire data (the
// queues between goroutines, the terminal UI's event ring and view, the
// detail cache, WebSocket reassembly), so that no peer, however hostile,
// can make the process hold more than the budget plus a fixed overhead.
// Fixed shares rather than one shared pool: a cache that filled a shared
// pool would starve the queues, and a flood on one queue would empty the
// UI. Every holder drops or trims what does not fit and counts it.
package membudget

import (
	"fmt"
	"strconv"
	"strings"
)

// Default is the budget when --mem-budget is not given.
const Default = 256 << 20

// Min is the smallest budget accepted: below it the shares are too small
// for one ordinary WebSocket message.
const Min = 16 << 20

// Overhead is what the process needs beyond the budget: the Go runtime,
// code, goroutine stacks, per-connection copy buffers of a few hundred
// connections, the terminal UI's screen. RSS stays under the budget plus
// Overhead.
const Overhead = 96 << 20

// gcHeadroom is what RuntimeLimit adds to the budget: the garbage that
// large messages leave between two collections.
const gcHeadroom = 64 << 20

// Budget is the total in bytes and its split.
type Budget struct{ Total int64 }

// New returns the budget of total bytes (Default if total <= 0).
func New(total int64) Budget {
	if total <= 0 {
		total = Default
	}
	return Budget{Total: total}
}

// The shares. A TUI run with a recording uses every share but Output
// (headless only): 1/8 × 4 + 3/16 + 1/32 + 1/4 < 1. The event ring's
// share is the largest of the queues' because its slots are allocated up
// front and count in it (Slots).
func (b Budget) ObsQueue() int64   { return b.Total / 8 }      // proxy → analyzer
func (b Budget) RecQueue() int64   { return b.Total / 8 }      // proxy → recorder
func (b Budget) CacheQueue() int64 { return b.Total / 32 }     // proxy → detail cache
func (b Budget) Cache() int64      { return b.Total / 8 }      // detail cache (headers, save view)
func (b Budget) Events() int64     { return b.Total * 3 / 16 } // analyzer → TUI ring, slots included
func (b Budget) View() int64       { return b.Total / 8 }      // the TUI's own packet rows
func (b Budget) Output() int64     { return b.Total / 8 }      // formatted lines waiting for stdout
func (b Budget) Reassembly() int64 { return b.Total / 4 }      // unfinished WebSocket messages, all connections

// PerEvent is how many bytes of args, wire bytes and attachments one event
// keeps for the terminal UI; beyond it they are summarised (size, hash,
// first bytes). 64 KiB at the default budget: a screenful of JSON with room
// to spare, and 1,000 such events fit the view share.
func (b Budget) PerEvent() int {
	n := b.Total / 4096
	return int(min(max(n, 4<<10), 1<<20))
}

// RuntimeLimit is the soft memory limit for the Go runtime
// (debug.SetMemoryLimit): the budget plus gcHeadroom. Live data stays
// under the budget, so the limit only makes the collector run before
// garbage left by large messages doubles the heap.
func (b Budget) RuntimeLimit() int64 { return b.Total + gcHeadroom }

// PerConn is what RuntimeLimitFor allows each open connection beyond the
// budget: its goroutines' stacks, socket buffers and parser state (measured
// at 43–49 KiB per idle WebSocket), which no peer can grow past its cap.
const PerConn = 64 << 10

// RuntimeLimitFor is RuntimeLimit with room for conns open connections.
// The budget bounds what peers send, not how many connect: with a fixed
// limit, 9,800 WebSockets (about 410 MiB of stacks and buffers) held the
// heap above a 320 MiB limit, the collector ran back to back on the
// proxy's one core, and the analyzer fell behind and dropped 11–71% of
// the observations.
func (b Budget) RuntimeLimitFor(conns int64) int64 {
	return b.RuntimeLimit() + max(conns, 0)*PerConn
}

func (b Budget) String() string { return FormatBytes(b.Total) }

// Parse reads a size: a number of bytes with an optional unit, B, KiB,
// MiB, GiB (powers of 1024), KB, MB, GB (powers of 1000), or K, M, G
// (read as KiB, MiB, GiB). The result is at least Min.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("%q: want a size such as 256MiB, 1GiB or 300MB", s)
	}
	var mult float64
	switch strings.ToLower(unit) {
	case "", "b":
		mult = 1
	case "k", "kib":
		mult = 1 << 10
	case "m", "mib":
		mult = 1 << 20
	case "g", "gib":
		mult = 1 << 30
	case "kb":
		mult = 1e3
	case "mb":
		mult = 1e6
	case "gb":
		mult = 1e9
	default:
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, KB, MB or GB)", s, unit)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %q is not a number", s, num)
	}
	v := f * mult
	if v > 1<<50 {
		return 0, fmt.Errorf("%q: too large", s)
	}
	if v < Min {
		return 0, fmt.Errorf("%q: below the minimum of %s", s, FormatBytes(Min))
	}
	return int64(v), nil
}

// FormatBytes renders n with a binary unit: "256 MiB", "1.5 GiB", "900 B".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := "KMGTPE"
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < len(units)-1; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[exp:exp+1] + "iB"
}
