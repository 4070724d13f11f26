package main

import (
	"strings"
	"testing"
)

func TestParseRates(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]float64
		err  string
	}{
		{in: "", want: map[string]float64{}},
		{in: "ws-small=5000", want: map[string]float64{"ws-small": 5000}},
		{in: "ws-small=5000, poll-small=1200.5", want: map[string]float64{"ws-small": 5000, "poll-small": 1200.5}},
		{in: "ws-small", err: `want load=rt/s pairs`},
		{in: "ws-huge=10", err: `no load named "ws-huge"`},
		{in: "ws-small=fast", err: `got "fast"`},
		{in: "ws-small=0", err: `got "0"`},
		{in: "ws-small=-3", err: `got "-3"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseRates(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseRates(%q) error = %v, want one containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRates(%q): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("parseRates(%q) = %v, want %v", tc.in, got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("parseRates(%q)[%s] = %v, want %v", tc.in, k, got[k], v)
				}
			}
		})
	}
}

func TestFormatRates(t *testing.T) {
	ls := loads()[:3] // ws-small, ws-64k, poll-small
	got := formatRates(ls, map[string]float64{"ws-small": 5000, "poll-small": 1200})
	if want := "ws-small 5000, ws-64k flat out, poll-small 1200"; got != want {
		t.Fatalf("formatRates = %q, want %q", got, want)
	}
}
