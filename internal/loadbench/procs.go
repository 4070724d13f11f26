package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clkTck is USER_HZ, 100 on every Linux this runs on.
const clkTck = 100

// procTree returns pid and all its descendants (nginx's workers).
func procTree(pid int) []int {
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		// Fields after the ")" of the command name: state ppid …
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		self, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		children[ppid] = append(children[ppid], self)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// cpuSeconds is user+system CPU time of the process tree rooted at pid.
func cpuSeconds(pid int) float64 {
	var ticks int64
	for _, p := range procTree(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return float64(ticks) / clkTck
}

// memKB sums a /proc/PID/status field (VmHWM, VmRSS) over the tree.
func memKB(pid int, field string) int64 {
	var total int64
	for _, p := range procTree(pid) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
				n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
				total += n
			}
		}
		f.Close()
	}
	return total
}

// settledCPU waits until pid's process tree stops using CPU (what a load
// queued has been decoded and written) and returns its CPU seconds then.
// CPU time moves in 10 ms ticks; a proxy that gained at most one tick in
// 200 ms is idle. It gives up after 10 s.
func settledCPU(pid int) float64 {
	prev := cpuSeconds(pid)
	for range 50 {
		time.Sleep(200 * time.Millisecond)
		cur := cpuSeconds(pid)
		if cur-prev <= 0.011 {
			return cur
		}
		prev = cur
	}
	return prev
}
