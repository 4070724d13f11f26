package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/doctor"
	"github.com/sioproxy/sioproxy/internal/termsafe"
)

const doctorUsage = `usage: sioproxy doctor URL [flags]

Runs the Socket.IO troubleshooting guide against the server at URL, as a
client would, and reports each check PASS / WARN / FAIL with the request,
the answer, the FAULTS.md id and a fix. Exit status: 0 all passed, 1
warnings, 2 failures (or bad usage).

  --origin O          the page's origin: check CORS as a browser there would
  --path P            Engine.IO path (default /socket.io/)
  --header K:V        extra request header (the client's extraHeaders),
                      repeatable
  --auth JSON         CONNECT auth object, e.g. '{"token":"abc"}'
  --nsp /x            namespace to CONNECT (default /)
  --transports LIST   polling,websocket (default both)
  --eio 3|4           the Engine.IO version your clients speak (default 4)
  --ca FILE           PEM roots to verify the server's certificate with
  --insecure          report certificate problems as warnings, not failures
  --timeout D         per probe (default 5s)
  --sessions N        parallel sessions for the affinity check (default 6)
  --slow              also hold a long-poll for a full pingInterval (F2)
  --write             also POST just over maxPayload (H1); sends data
  --json              the report as JSON
`

type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }
func (f *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want K:V, got %q", s)
	}
	f.h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	return nil
}

// runDoctor is `sioproxy doctor`; it returns the exit status itself
// because the report decides it (0, 1 or 2).
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o doctor.Options
	hdr := &headerFlag{h: http.Header{}}
	var auth, transports string
	var asJSON bool
	fs.StringVar(&o.Origin, "origin", "", "")
	fs.StringVar(&o.Path, "path", "", "")
	fs.Var(hdr, "header", "")
	fs.StringVar(&auth, "auth", "", "")
	fs.StringVar(&o.Nsp, "nsp", "", "")
	fs.StringVar(&transports, "transports", "", "")
	fs.IntVar(&o.EIO, "eio", 4, "")
	fs.StringVar(&o.CAFile, "ca", "", "")
	fs.BoolVar(&o.Insecure, "insecure", false, "")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "")
	fs.IntVar(&o.Sessions, "sessions", 6, "")
	fs.BoolVar(&o.Slow, "slow", false, "")
	fs.BoolVar(&o.Write, "write", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, doctorUsage)
		return 0
	}
	usage := func(err error) int {
		fmt.Fprintf(stderr, "sioproxy doctor: %v\nrun 'sioproxy doctor --help' for usage\n", err)
		return 2
	}
	switch {
	case err != nil:
		return usage(err)
	case len(pos) == 0:
		return usage(errors.New("missing the server URL, e.g. sioproxy doctor http://localhost:3000"))
	case len(pos) > 1:
		return usage(fmt.Errorf("one URL only, got %q", pos))
	case o.Sessions > 100:
		return usage(fmt.Errorf("--sessions %d: at most 100", o.Sessions))
	}
	o.URL = pos[0]
	if len(hdr.h) > 0 {
		o.Header = hdr.h
	}
	if auth != "" {
		o.Auth = json.RawMessage(auth)
	}
	if transports != "" {
		o.Transports = strings.Split(transports, ",")
	}
	r, err := doctor.Run(ctx, o)
	if err != nil {
		return usage(err)
	}
	if asJSON {
		err = r.WriteJSON(stdout)
	} else {
		// The report quotes the server's answers: shown escaped, as
		// every wire string on a terminal (internal/termsafe).
		var buf strings.Builder
		if err = r.WriteText(&buf); err == nil {
			_, err = io.WriteString(stdout, termsafe.Text(buf.String()))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sioproxy doctor: writing the report: %v\n", err)
	}
	return r.ExitCode()
}
