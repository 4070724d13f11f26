// Command ansi2html turns terminal output with colours (stdin, as `tmux
// capture-pane -e -p` prints it) into an HTML page on stdout, for
// scripts/screenshots.sh.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sioproxy/sioproxy/internal/ansihtml"
)

func main() {
	title := flag.String("title", "sioproxy", "page title")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ansi2html:", err)
		os.Exit(1)
	}
	io.WriteString(os.Stdout, ansihtml.Convert(string(in), ansihtml.Options{Title: *title}))
}
