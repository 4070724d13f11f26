package main

import (
	"context"
	"io"

	"github.com/sioproxy/sioproxy/decode/session"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/pipeline"
)

// analyze decodes observations into events and writes them to out until in
// is closed and drained. The context is not the signal one: on SIGINT the
// proxy stops first, then the queue is closed, so nothing seen is lost.
func analyze(in *bus.Queue[obs.Obs], format string, paths []string, out io.Writer) error {
	return pipeline.Run(context.Background(), pipeline.Config{
		In:      in,
		Out:     out,
		Format:  format,
		Session: session.Options{Paths: paths},
	})
}
