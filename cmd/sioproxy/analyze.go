package main

import (
	"time"

	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/session"
)

// sessionOptions configures the session tracker and its fault rules the
// same way in every mode, so a replay diagnoses what the live run did.
// Each call builds a fresh rule engine: it holds per-run state.
func sessionOptions(cfg config) session.Options {
	ack := cfg.AckTimeout // negative: --ack-timeout 0, off
	if ack == 0 {
		ack = defaultAckTimeout // modes without the flag (replay, demo)
	}
	return session.Options{
		Paths: cfg.Paths,
		Diagnoser: diagnose.New(diagnose.Options{Paths: cfg.Paths, ListenTLS: cfg.listenTLS(), Forward: cfg.forward(),
			AckTimeout: ack}),
	}
}

// defaultAckTimeout is --ack-timeout's default.
const defaultAckTimeout = 10 * time.Second
