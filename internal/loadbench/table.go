package main

import (
	"fmt"
	"strings"
	"time"
)

// printTable prints each mode's own figures per load.
func printTable(ls []load, all map[string]*modeResult) {
	fmt.Println("| load | mode | round trips/s | p50 | p99 | proxy CPU ms / 1k rt | peak RSS MiB | rt/s vs direct | p99 vs direct |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range ls {
		for _, mode := range modeOrder {
			m := all[mode]
			if m == nil {
				continue
			}
			r, ok := m.res[l.name]
			if !ok {
				continue // the proxy could not start for this load
			}
			cpu, rss, vsD, p99D := "–", "–", "–", "–"
			if mode != "direct" {
				cpu = fmt.Sprintf("%.1f", m.cpu[l.name]*1000)
				rss = fmt.Sprintf("%.1f", float64(m.peakKB)/1024)
			}
			if d := all["direct"]; d != nil && d.res[l.name].rtts > 0 {
				vsD = ratio(r.rps(), d.res[l.name].rps())
				p99D = ratio(float64(r.p99), float64(d.res[l.name].p99))
			}
			fmt.Printf("| %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n", l.name, mode, r.rps(), ms(r.p50), ms(r.p99), cpu, rss, vsD, p99D)
		}
	}
}

// refModes are the proxies every other mode is compared with: the bare
// stack, the plain reverse proxy and the other decoding proxy.
var refModes = []string{"floor", "nginx", "mitmdump"}

// printRatios prints, for each proxy, its round trips/s and its CPU per
// round trip as ratios to each reference proxy of the same run.
func printRatios(ls []load, all map[string]*modeResult) {
	fmt.Print("\n| load | mode |")
	for _, ref := range refModes {
		fmt.Printf(" rt/s vs %s | CPU vs %s |", ref, ref)
	}
	fmt.Print("\n|---|---|")
	for range refModes {
		fmt.Print("---:|---:|")
	}
	fmt.Println()
	for _, l := range ls {
		for _, mode := range modeOrder {
			m := all[mode]
			if mode == "direct" || m == nil {
				continue
			}
			r, ok := m.res[l.name]
			if !ok {
				continue
			}
			fmt.Printf("| %s | %s |", l.name, mode)
			for _, ref := range refModes {
				rps, cpu := "–", "–"
				if n := all[ref]; n != nil && n.res[l.name].rtts > 0 {
					rps = ratio(r.rps(), n.res[l.name].rps())
					cpu = ratio(m.cpu[l.name], n.cpu[l.name])
				}
				fmt.Printf(" %s | %s |", rps, cpu)
			}
			fmt.Println()
		}
	}
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// printRoundRatios prints each round's ratios to floor, so the spread
// between rounds of one run is visible next to the sums.
func printRoundRatios(ls []load, rounds []map[string]*modeResult) {
	fmt.Println("\nEach round's ratios to floor (round trips/s, CPU per round trip):")
	fmt.Print("\n| load | mode |")
	for i := range rounds {
		fmt.Printf(" round %d |", i+1)
	}
	fmt.Print("\n|---|---|")
	for range rounds {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, l := range ls {
		for _, mode := range modeOrder {
			if mode == "direct" || mode == "floor" {
				continue
			}
			cells, any := make([]string, len(rounds)), false
			for i, all := range rounds {
				m, f := all[mode], all["floor"]
				cells[i] = "–"
				if m == nil || f == nil || m.res[l.name].rtts == 0 || f.res[l.name].rtts == 0 {
					continue
				}
				any = true
				cells[i] = ratio(m.res[l.name].rps(), f.res[l.name].rps()) + " / " + ratio(m.cpu[l.name], f.cpu[l.name])
			}
			if any {
				fmt.Printf("| %s | %s | %s |\n", l.name, mode, strings.Join(cells, " | "))
			}
		}
	}
}
