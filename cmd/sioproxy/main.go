// Command sioproxy is a Socket.IO debugging proxy. This file only wires
// packages together; the work lives in proxy/, decode/, tui/ and recordings/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	ctx := handleSignals(os.Stderr)
	setupProcess(os.Stderr)
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code (2 for bad
// usage, 1 for a failure at run time).
func run(ctx context.Context, args []string, stdout *os.File, stderr io.Writer) int {
	cfg, err := parseFlags(args)
	if errors.Is(err, errHelp) {
		io.WriteString(stdout, usageText)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sioproxy: %v\n", err)
		fmt.Fprintln(stderr, "run 'sioproxy --help' for usage")
		return 2
	}
	switch cfg.Command {
	case "":
		err = serve(ctx, cfg, stdout, stderr)
	case "demo":
		err = runDemo(ctx, cfg.Args, stdout, stderr)
	case "replay":
		err = runReplay(ctx, cfg.Args, stdout, stderr)
	case "export":
		err = runExport(cfg.Args, stdout, stderr)
	case "ca":
		err = runCA(cfg.Args, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, cfg.Args, stdout, stderr)
	case "report":
		err = runReport(cfg.Args, stdout, stderr)
	case "inject":
		err = runInject(ctx, cfg.Args, stdout, stderr)
	case "sessions":
		err = runSessions(ctx, cfg.Args, stdout, stderr)
	default:
		var ok bool
		if err, ok = runMeta(cfg.Command, cfg.Args, stdout); !ok {
			fmt.Fprintf(stderr, "sioproxy: unknown command %q\n", cfg.Command)
			return 2
		}
	}
	var uerr usageError
	switch {
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "sioproxy: %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "sioproxy: %v\n", err)
		return 1
	}
	return 0
}
