package membudget

// MinSlots is the fewest slots Slots gives a holder, however small its
// share: below it a UI could not show one screen of packets.
const MinSlots = 64

// Slots splits a holder's share between a preallocated array of slots
// (a ring of events, the UI's rows), each slotSize bytes whether used or
// not, and what the items in them hold beyond their slot. The array takes
// at most half the share, and at most want slots; rest is the share left
// for the items' own bytes, which the holder bounds by evicting. Before,
// a 65,536-slot ring of 672-byte events was 44 MB outside the budget,
// more than its whole share at the default budget.
func Slots(share int64, slotSize, want int) (slots int, rest int64) {
	slots = want
	if slotSize > 0 {
		slots = int(min(int64(want), share/2/int64(slotSize)))
	}
	slots = max(slots, min(want, MinSlots))
	return slots, max(share-int64(slots)*int64(slotSize), 0)
}
