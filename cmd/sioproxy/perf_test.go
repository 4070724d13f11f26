package main

import "testing"

func TestHalfProcs(t *testing.T) {
	for _, tc := range []struct{ cpus, want int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 2}, {4, 2}, {8, 4}, {64, 32},
	} {
		t.Run("", func(t *testing.T) {
			if got := halfProcs(tc.cpus); got != tc.want {
				t.Errorf("halfProcs(%d) = %d, want %d", tc.cpus, got, tc.want)
			}
		})
	}
}
