package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sioproxy/sioproxy/recordings"
	"github.com/sioproxy/sioproxy/report"
)

const reportUsage = `usage: sioproxy report REC [-o report.html] [--redact] [--packets N]
                      [--path PREFIX]

Writes one self-contained HTML page about a recording (native .jsonl,
.jsonl.gz, or a HAR file): a timeline of the sessions with their faults,
the stats tables and histograms, every fault with its evidence and fix,
and a searchable packet list. The page needs no network to open.

flags:
  -o FILE           where to write the page (default report.html; - for stdout)
  --redact          mask cookies, Authorization headers and CONNECT auth
  --packets N       packets in the list; beyond, a uniform sample
                    (default 20000)
  --title TEXT      the page's title (default the recording's file name)
  --path PREFIX     Engine.IO path prefix, repeatable (as for the proxy)
`

// runReport is `sioproxy report`.
func runReport(args []string, stdout io.Writer, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var out, title string
	var redact bool
	var packets int
	var paths multiFlag
	fs.StringVar(&out, "o", "report.html", "")
	fs.BoolVar(&redact, "redact", false, "")
	fs.IntVar(&packets, "packets", 20000, "")
	fs.StringVar(&title, "title", "", "")
	fs.Var(&paths, "path", "")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, reportUsage)
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	switch {
	case len(pos) == 0:
		return usageError{errors.New("report: no recording given (sioproxy report REC -o report.html)")}
	case len(pos) > 1:
		return usageError{fmt.Errorf("report: one recording at a time, got %d (%s)", len(pos), strings.Join(pos, ", "))}
	case packets < 1 || packets > 1_000_000:
		return usageError{fmt.Errorf("report: --packets %d: want 1 to 1000000", packets)}
	case out == "":
		return usageError{errors.New("report: -o needs a file name (or - for stdout)")}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return usageError{fmt.Errorf("report: --path %q: must start with /", p)}
		}
	}
	in := pos[0]
	if out != "-" && same(in, out) {
		return usageError{fmt.Errorf("report: output %s is the input", out)}
	}
	r, err := recordings.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	d, err := report.Build(r, filepath.Base(in), report.Options{
		Session: sessionOptions(config{Paths: paths}), Redact: redact, MaxPackets: packets, Title: title,
	})
	if err != nil {
		return fmt.Errorf("report: %s: %w", in, err)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "sioproxy: warning: %s\n", w)
	}
	if out == "-" {
		return report.Write(stdout, d)
	}
	f, err := recordings.CreateFile(out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := report.Write(f, d); err != nil {
		f.Close()
		return fmt.Errorf("report: writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: writing %s: %w", out, err)
	}
	note := ""
	if d.Sampled {
		note = fmt.Sprintf(", packet list sampled: %d of %d", len(d.Packets), d.PacketsTotal)
	}
	fmt.Fprintf(stderr, "sioproxy: wrote %s (%d sessions, %d faults%s)\n", out, len(d.Sessions)+d.SessionsOmitted, len(d.Faults)+d.FaultsOmitted, note)
	return nil
}
