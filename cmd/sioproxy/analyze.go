package main

import "github.com/sioproxy/sioproxy/decode/session"

// sessionOptions configures the session tracker (and its fault rules) the
// same way in every mode, so a replay diagnoses what the live run did.
func sessionOptions(cfg config) session.Options {
	return session.Options{Paths: cfg.Paths}
}
