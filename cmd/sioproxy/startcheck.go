package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sioproxy/sioproxy/proxy"
	"github.com/sioproxy/sioproxy/tui"
)

// startCheckTimeout bounds the start-up check: a refused port answers at
// once, a filtered one would otherwise hold the start.
const startCheckTimeout = 2 * time.Second

// checkTargets warns (never refuses) when a target does not accept a
// connection at start-up: on stderr headless, in the status bar with the
// terminal UI.
func checkTargets(ctx context.Context, cfg config, useTUI bool, stderr io.Writer) []tui.UpstreamCheck {
	var out []tui.UpstreamCheck
	for _, c := range proxy.CheckTargets(ctx, cfg.Targets, startCheckTimeout) {
		uc := tui.UpstreamCheck{Target: c.Target, At: time.Now()}
		if c.Err != nil {
			uc.Err = c.Err.Error()
			if !useTUI {
				fmt.Fprintf(stderr, "sioproxy: warning: the target %s does not answer (%v): is the server running, is the port right? Relaying anyway; requests get 502 until it does.\n", c.Target, c.Err)
			}
		}
		out = append(out, uc)
	}
	return out
}
