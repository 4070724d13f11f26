package main

import (
	"fmt"
	"unsafe"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/membudget"
	"github.com/sioproxy/sioproxy/tui"
)

// budget is --mem-budget, or the default for commands that do not parse
// it (demo, replay).
func (c config) budget() membudget.Budget { return membudget.New(c.MemBudget.Total) }

func eventSize(e event.Event) int { return e.MemSize() }

// eventSlotSize is what one slot of the event ring costs, used or not: the
// event by value and the ring's record of its size.
const eventSlotSize = int(unsafe.Sizeof(event.Event{})) + int(unsafe.Sizeof(int(0)))

// eventRing is the analyzer → TUI ring, slots and events within the
// budget's Events share.
func eventRing(b membudget.Budget) *bus.Ring[event.Event] {
	slots, rest := membudget.Slots(b.Events(), eventSlotSize, eventRingSize)
	return bus.NewRingBytes(slots, rest, eventSize)
}

// viewNote says when --view asks for more rows than the view's share of
// the budget holds ("" when it does not): the UI keeps fewer, and the
// user should know why before scrolling back for them.
func viewNote(view int, b membudget.Budget) string {
	rows := tui.Rows(view, b.View())
	if rows >= view {
		return ""
	}
	return fmt.Sprintf("sioproxy: --view %d: the terminal UI's share of --mem-budget %s (%s) holds %d packet rows; keeping %d (a larger --mem-budget keeps more)",
		view, b, membudget.FormatBytes(b.View()), rows, rows)
}
