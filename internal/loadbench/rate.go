package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseRates reads -rate: comma-separated load=rt/s pairs, for the loads
// that get a fixed offered rate; the others run flat out.
func parseRates(s string) (map[string]float64, error) {
	rates := map[string]float64{}
	if s == "" {
		return rates, nil
	}
	known := map[string]bool{}
	for _, l := range loads() {
		known[l.name] = true
	}
	for _, kv := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("-rate %q: want load=rt/s pairs, e.g. ws-small=5000", kv)
		}
		if !known[name] {
			return nil, fmt.Errorf("-rate %q: no load named %q", kv, name)
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("-rate %q: want a positive number of round trips per second, got %q", kv, v)
		}
		rates[name] = r
	}
	return rates, nil
}

// formatRates lists the fixed rates of the loads that run, in their order.
func formatRates(ls []load, rates map[string]float64) string {
	var parts []string
	for _, l := range ls {
		if r, ok := rates[l.name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", l.name, r))
		} else {
			parts = append(parts, l.name+" flat out")
		}
	}
	return strings.Join(parts, ", ")
}
