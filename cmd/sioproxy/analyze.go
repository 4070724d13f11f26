package main

import (
	"github.com/sioproxy/sioproxy/decode/diagnose"
	"github.com/sioproxy/sioproxy/decode/session"
)

// sessionOptions configures the session tracker and its fault rules the
// same way in every mode, so a replay diagnoses what the live run did.
// Each call builds a fresh rule engine: it holds per-run state.
func sessionOptions(cfg config) session.Options {
	return session.Options{
		Paths:     cfg.Paths,
		Diagnoser: diagnose.New(diagnose.Options{Paths: cfg.Paths, ListenTLS: cfg.listenTLS(), Forward: cfg.forward()}),
	}
}
