package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// completeness is what a sioproxy run printed, against what the load sent.
// A debugging proxy that loses packets under load shows a false picture,
// so the benchmark counts them: every round trip is one EVENT (c2s) and
// one ACK (s2c), and each must come out as a line (--json) or a row (TUI).
type completeness struct {
	output   string  // "--json" or "tui"
	sent     int     // echo EVENTs the load emitted
	acked    int     // ACKs the load received
	events   int     // echo EVENT packets printed
	acks     int     // ACK packets printed
	packets  int     // all packets printed (handshakes, CONNECTs, pings too)
	dropped  uint64  // observations or lines the drop lines (or status bar) declare lost
	cpuPer1k float64 // the proxy's CPU seconds per 1,000 round trips
	// exact is false when only totals are known (the TUI shows packets,
	// not packets by type).
	exact bool
}

// complete says whether nothing was lost: no drop declared and every
// message the load sent printed.
func (c completeness) complete() bool {
	if c.dropped > 0 {
		return false
	}
	if c.exact {
		return c.events >= c.sent && c.acks >= c.acked
	}
	return c.packets >= c.sent+c.acked
}

// countJSON reads a --json file and counts the echo EVENTs and ACKs in it
// and the observations its drop lines declare lost. It matches fields as
// bytes rather than decoding each line: a 64 KiB load writes gigabytes.
func countJSON(path string) (completeness, error) {
	c := completeness{output: "--json", exact: true}
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var long []byte
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			c.countLine(line)
		}
		if err != nil {
			break
		}
	}
	return c, nil
}

var (
	kindPacket = []byte(`"kind":"packet"`)
	kindDrop   = []byte(`"kind":"drop"`)
	// The round-trip loads emit "echo", the many-connections run "echo"
	// or "tick".
	echoNames  = [][]byte{[]byte(`"event":"echo"`), []byte(`"event":"tick"`)}
	c2s        = []byte(`"dir":"c2s"`)
	s2c        = []byte(`"dir":"s2c"`)
	typeEvent  = [][]byte{[]byte(`"type":"EVENT"`), []byte(`"type":"BINARY_EVENT"`)}
	typeAck    = [][]byte{[]byte(`"type":"ACK"`), []byte(`"type":"BINARY_ACK"`)}
	droppedKey = []byte(`"dropped":`)
)

func (c *completeness) countLine(line []byte) {
	// The fields the benchmark looks for come before args, which may be
	// megabytes; only the head is searched, so a payload that happens to
	// contain `"type":"ACK"` is not counted.
	head := line
	if i := bytes.Index(line, []byte(`"args":`)); i >= 0 {
		head = line[:i]
	}
	switch {
	case bytes.Contains(head, kindPacket):
		c.packets++
		switch {
		case bytes.Contains(head, c2s) && containsAny(head, typeEvent) && containsAny(head, echoNames):
			c.events++
		case bytes.Contains(head, s2c) && containsAny(head, typeAck):
			c.acks++
		}
	case bytes.Contains(head, kindDrop):
		if i := bytes.Index(head, droppedKey); i >= 0 {
			rest := head[i+len(droppedKey):]
			j := 0
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			n, _ := strconv.ParseUint(string(rest[:j]), 10, 64)
			c.dropped += n
		}
	}
}

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// printCompleteness prints one row per sioproxy run.
func printCompleteness(rows []completenessRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Println("\nCompleteness (every round trip is an EVENT and an ACK; printed = lines in --json, rows the TUI ingested):")
	fmt.Println("| load | output | EVENTs sent | ACKs received | EVENTs printed | ACKs printed | packets printed | dropped | complete | messages per proxy CPU second |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
	for _, r := range rows {
		c := r.c
		ev, ack := strconv.Itoa(c.events), strconv.Itoa(c.acks)
		if !c.exact {
			ev, ack = "–", "–"
		}
		verdict := "yes"
		if !c.complete() {
			verdict = "**no**"
		}
		// The rate this run kept up with, per core: two messages (EVENT
		// and ACK) per round trip over the proxy's CPU time.
		rate := "–"
		if c.cpuPer1k > 0 {
			rate = fmt.Sprintf("%.0f", 2000/c.cpuPer1k)
		}
		fmt.Printf("| %s | %s | %d | %d | %s | %s | %d | %d | %s | %s |\n", r.load, c.output, c.sent, c.acked, ev, ack, c.packets, c.dropped, verdict, rate)
	}
}

type completenessRow struct {
	load string
	c    completeness
}

// mergeCompleteness adds up the rows of several rounds per load and
// output, in the order they first appeared.
func mergeCompleteness(rows []completenessRow) []completenessRow {
	var out []completenessRow
	idx := map[string]int{}
	cpu := map[string]float64{} // CPU seconds, to average per round trip
	for _, r := range rows {
		k := r.load + "/" + r.c.output
		cpu[k] += r.c.cpuPer1k / 1000 * float64(r.c.acked)
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, r)
			continue
		}
		c := &out[i].c
		c.sent += r.c.sent
		c.acked += r.c.acked
		c.events += r.c.events
		c.acks += r.c.acks
		c.packets += r.c.packets
		c.dropped += r.c.dropped
	}
	for i := range out {
		if a := out[i].c.acked; a > 0 {
			out[i].c.cpuPer1k = cpu[out[i].load+"/"+out[i].c.output] / float64(a) * 1000
		}
	}
	return out
}
