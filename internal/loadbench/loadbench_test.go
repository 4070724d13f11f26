package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchmarkRuns runs the benchmark itself, briefly, on two loads: every
// mode must produce a row with round trips, the proxies a CPU figure, no
// round trip may fail, and the latency and idle-connection parts must
// report. It asserts no speed: the figures of a short run on a shared
// machine mean nothing, but a benchmark that stopped working would go
// unnoticed until someone needed it.
func TestBenchmarkRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not starting node, nginx and the proxies")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(root, "e2e/node_modules/socket.io")); err != nil {
		missing = append(missing, "e2e/node_modules (npm ci in e2e/)")
	}
	if _, err := exec.LookPath("nginx"); err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			missing = append(missing, "nginx")
		}
	}
	if len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must provide %s", strings.Join(missing, ", "))
		}
		t.Skipf("needs %s", strings.Join(missing, ", "))
	}

	dir := t.TempDir()
	sp, lb := filepath.Join(dir, "sioproxy"), filepath.Join(dir, "loadbench")
	for _, b := range [][2]string{{sp, "./cmd/sioproxy"}, {lb, "./internal/loadbench"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// mitmdump is not a CI dependency; the tui mode needs tmux, which CI
	// installs.
	modes := "direct,sioproxy,relay,tui,floor,nginx"
	cmd := exec.CommandContext(ctx, lb, "-bin", sp, "-duration", "500ms", "-idle", "20", "-loads", "ws-small,poll-64k", "-modes", modes,
		"-many-idle", "5", "-many-active", "10", "-many-duration", "1s", "-many-event", "tick")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("loadbench: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	rows, ratios, compl := map[string][]string{}, map[string][]string{}, map[string][]string{}
	inCompl := false
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "Completeness") {
			inCompl = true
		}
		f := strings.Split(line, "|")
		if len(f) < 3 || f[1] == " load " || strings.HasPrefix(f[1], "---") {
			continue
		}
		key := strings.TrimSpace(f[1]) + "/" + strings.TrimSpace(f[2])
		switch {
		case inCompl:
			compl[key] = f[1:11]
		case len(f) == 11:
			rows[key] = f[1:10]
		case len(f) == 10:
			ratios[key] = f[1:9]
		}
	}
	for _, load := range []string{"ws-small", "poll-64k"} {
		for _, mode := range strings.Split(modes, ",") {
			t.Run(load+"/"+mode, func(t *testing.T) {
				f, ok := rows[load+"/"+mode]
				if !ok {
					t.Fatalf("no row in:\n%s", stdout.String())
				}
				if rps, _ := strconv.ParseFloat(strings.TrimSpace(f[2]), 64); rps <= 0 {
					t.Errorf("round trips/s = %q", f[2])
				}
				if mode != "direct" {
					if cpu, _ := strconv.ParseFloat(strings.TrimSpace(f[5]), 64); cpu <= 0 {
						t.Errorf("CPU per 1k round trips = %q", f[5])
					}
					// Ratios to direct, and to floor and nginx:
					// round trips/s and CPU (mitmdump's columns stay
					// empty without it).
					for _, i := range []int{7, 8} {
						if !strings.HasSuffix(strings.TrimSpace(f[i]), "×") {
							t.Errorf("column %d is %q, want a ratio: %q", i+1, f[i], f)
						}
					}
					r := ratios[load+"/"+mode]
					for _, i := range []int{2, 3, 4, 5} {
						if len(r) < 8 || !strings.HasSuffix(strings.TrimSpace(r[i]), "×") {
							t.Errorf("ratio column %d of %q is not a ratio", i+1, r)
						}
					}
				}
			})
		}
	}
	// Completeness: each load, for --json and the UI, says how many
	// EVENTs were sent and printed and whether any were lost; at this
	// tiny load nothing may be.
	for _, load := range []string{"ws-small", "poll-64k"} {
		for _, out := range []string{"--json", "tui"} {
			c, ok := compl[load+"/"+out]
			if !ok {
				t.Errorf("no completeness row for %s %s:\n%s", load, out, stdout.String())
				continue
			}
			sent, _ := strconv.Atoi(strings.TrimSpace(c[2]))
			if sent <= 0 || strings.TrimSpace(c[7]) != "0" || strings.TrimSpace(c[8]) != "yes" {
				t.Errorf("completeness row %q: want EVENTs sent, 0 dropped, complete", c)
			}
		}
	}
	errs := regexp.MustCompile(`errors (\d+)`).FindAllStringSubmatch(stderr.String(), -1)
	if n := 2 * len(strings.Split(modes, ",")); len(errs) != n {
		t.Errorf("%d load results on stderr, want %d:\n%s", len(errs), n, stderr.String())
	}
	for _, m := range errs {
		if m[1] != "0" {
			t.Errorf("failed round trips:\n%s", stderr.String())
			break
		}
	}
	// The many-connections run: the lean generator's EVENTs all sent, all
	// acked, and sioproxy printed each EVENT and ACK.
	m := regexp.MustCompile(`sent (\d+) .* acked (\d+) .*; (\d+) of (\d+) connections alive`).FindStringSubmatch(stdout.String())
	if m == nil || m[1] == "0" || m[1] != m[2] || m[3] != m[4] || m[4] != "15" {
		t.Errorf("many-connections run: want every EVENT acked and 15 of 15 connections alive, got %q in:\n%s", m, stdout.String())
	} else if want := "--json: " + m[1] + " EVENTs and " + m[1] + " ACKs printed of " + m[1] + " and " + m[1] + "; 0 observations dropped"; !strings.Contains(stdout.String(), want) {
		t.Errorf("many-connections run: output lacks %q:\n%s", want, stdout.String())
	}
	for _, want := range []string{"added p99", "idle WebSocket connections through sioproxy: 20 opened"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}
