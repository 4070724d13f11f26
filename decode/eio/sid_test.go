package eio

import "testing"

func TestSidParam(t *testing.T) {
	tests := []struct{ q, want string }{
		{"EIO=4&transport=polling&sid=abc", "abc"},
		{"sid=x&EIO=4", "x"},
		{"EIO=4&transport=polling", ""},
		{"nosid=1&sidx=2", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got := SidParam(tc.q); got != tc.want {
				t.Fatalf("SidParam(%q) = %q want %q", tc.q, got, tc.want)
			}
		})
	}
}
