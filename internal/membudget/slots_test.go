package membudget

import "testing"

func TestSlots(t *testing.T) {
	for _, tc := range []struct {
		name              string
		share             int64
		size, want, slots int
		rest              int64
	}{
		{"default event ring", Default / 8, 680, 1 << 16, 24672, Default/8 - 24672*680},
		{"large budget: all it wants", 4 << 30 / 8, 680, 1 << 16, 1 << 16, 4<<30/8 - (1<<16)*680},
		{"default view rows", Default / 8, 688, 10000, 10000, Default/8 - 10000*688},
		{"huge --view, capped", Default / 8, 688, 10_000_000, 24385, Default/8 - 24385*688},
		{"tiny share: the minimum", 1 << 10, 680, 1 << 16, MinSlots, 0},
		{"want below the minimum", 1 << 10, 680, 10, 10, 0},
		{"no slot size", 1 << 20, 0, 500, 500, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slots, rest := Slots(tc.share, tc.size, tc.want)
			if slots != tc.slots || rest != tc.rest {
				t.Fatalf("Slots(%d, %d, %d) = %d, %d; want %d, %d", tc.share, tc.size, tc.want, slots, rest, tc.slots, tc.rest)
			}
			if tc.share >= int64(MinSlots*tc.size)*2 && int64(slots*tc.size)+rest > tc.share {
				t.Fatalf("slots and rest (%d + %d) exceed the share %d", slots*tc.size, rest, tc.share)
			}
		})
	}
}
