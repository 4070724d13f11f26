package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sioproxy/sioproxy/internal/termsafe"
	"github.com/sioproxy/sioproxy/recordings"
)

const exportUsage = `usage: sioproxy export --har OUT IN
       sioproxy export --jsonl OUT IN

Converts a recording. IN is anything replay reads: a native recording
(.jsonl, .jsonl.gz) or a HAR file from Chrome, Firefox, mitmproxy or
HTTP Toolkit.

  --har OUT     write HAR 1.2 with Chrome's WebSocket messages (opens in
                Chrome DevTools: Network → import); lossless for sioproxy
  --jsonl OUT   write a native sioproxy recording (.gz compresses)
  --redact      mask cookies, Authorization, CONNECT auth and secret query
                parameters (token, auth, key, password, secret, session, sig…)
  --redact-param NAME   also mask this query parameter (repeatable)
`

// runExport is `sioproxy export`.
func runExport(args []string, stdout io.Writer, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var har, jsonl string
	var redact bool
	var redactParams multiFlag
	fs.StringVar(&har, "har", "", "")
	fs.StringVar(&jsonl, "jsonl", "", "")
	fs.BoolVar(&redact, "redact", false, "")
	fs.Var(&redactParams, "redact-param", "")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, exportUsage)
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	switch {
	case har == "" && jsonl == "":
		return usageError{errors.New("export: say what to write: --har OUT or --jsonl OUT")}
	case har != "" && jsonl != "":
		return usageError{errors.New("export: --har and --jsonl: one output at a time")}
	case len(pos) == 0:
		return usageError{errors.New("export: no input recording (sioproxy export --har OUT IN)")}
	case len(pos) > 1:
		return usageError{fmt.Errorf("export: one input at a time, got %d", len(pos))}
	}
	in, out := pos[0], har+jsonl
	if same(in, out) {
		return usageError{fmt.Errorf("export: output %s is the input", out)}
	}
	r, err := recordings.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	if redact || len(redactParams) > 0 {
		r.SetRedactor(recordings.NewRedactor(redactParams))
	}
	if har != "" {
		err = exportHAR(r, out)
	} else {
		err = exportJSONL(r, out)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "sioproxy: warning: %s\n", termsafe.String(w))
	}
	if err != nil {
		os.Remove(out) // a half-written file is worse than none
		return err
	}
	return nil
}

func same(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

func exportHAR(r *recordings.Reader, path string) error {
	f, err := recordings.CreateFile(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := recordings.ExportHAR(r, bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func exportJSONL(r *recordings.Reader, path string) error {
	w, err := recordings.Create(path, r.Header(), false)
	if err != nil {
		return err
	}
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Close()
			return err
		}
		if err := w.Write(o); err != nil {
			w.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return w.Close()
}
