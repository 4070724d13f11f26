package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sioproxy/sioproxy/internal/synthrec"
	"github.com/sioproxy/sioproxy/recordings"
)

// genRecording writes a synthetic recording of about mb MiB to path (see
// internal/synthrec) and returns how many observations it holds.
func genRecording(path string, mb int) (int, error) {
	w, err := recordings.Create(path, recordings.Header{Mode: "reverse", Target: "http://127.0.0.1:3000", Started: time.Now()}, false)
	if err != nil {
		return 0, err
	}
	n, err := synthrec.WriteMixed(w, int64(mb)<<20, func() int64 {
		st, _ := os.Stat(path)
		if st == nil {
			return 0
		}
		return st.Size()
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// replayRun generates (or reuses) a recording and runs `sioproxy replay
// FILE --json` on it, its output counted and discarded by this process.
// It reports observations per second, sioproxy's CPU and its RSS over
// time: the replay streams, so its memory should stay flat whatever the
// file's size.
func replayRun(bin, tmp, file string, mb int) error {
	if file == "" {
		file = filepath.Join(tmp, "replay.jsonl")
		defer os.Remove(file)
	}
	if _, err := os.Stat(file); err != nil {
		t0 := time.Now()
		n, err := genRecording(file, mb)
		if err != nil {
			return fmt.Errorf("writing the recording: %w", err)
		}
		fmt.Fprintf(os.Stderr, "loadbench: wrote %d observations to %s in %s\n", n, file, time.Since(t0).Round(time.Millisecond))
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	obsCount, err := countLines(file)
	if err != nil {
		return err
	}
	obsCount-- // the header line
	cmd := exec.Command(bin, "replay", file, "--json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	// RSS every second, to show whether memory stays flat.
	var rss []int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rss = append(rss, memKB(cmd.Process.Pid, "VmRSS"))
			}
		}
	}()
	lines, drops, bytesOut := 0, 0, int64(0)
	r := bufio.NewReaderSize(out, 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		bytesOut += int64(len(line))
		if err == nil || err == bufio.ErrBufferFull {
			if err == nil {
				lines++
				if bytes.Contains(line, []byte(`"kind":"drop"`)) {
					drops++
				}
			}
			continue
		}
		break
	}
	werr := cmd.Wait()
	elapsed := time.Since(start)
	close(done)
	<-sampled
	if werr != nil {
		return fmt.Errorf("sioproxy replay: %v: %s", werr, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	series := make([]string, 0, len(rss))
	for _, k := range rss {
		series = append(series, fmt.Sprintf("%.0f", float64(k)/1024))
	}
	fmt.Printf("\nsioproxy replay --json of a %.0f MiB recording (%d observations): %s, %.0f observations/s, CPU %s (%.0f observations per CPU second); %d lines (%.0f MiB) of --json, %d drop lines; peak RSS %.1f MiB; RSS each second (MiB): %s\n",
		float64(st.Size())/(1<<20), obsCount, elapsed.Round(time.Millisecond), float64(obsCount)/elapsed.Seconds(),
		cpu.Round(time.Millisecond), float64(obsCount)/cpu.Seconds(), lines, float64(bytesOut)/(1<<20), drops, float64(ru.Maxrss)/1024, strings.Join(series, " "))
	return nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
