// Command sioproxy is a Socket.IO debugging proxy. This file only wires
// packages together; the work lives in proxy/, decode/, tui/ and recordings/.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "sioproxy: not wired yet")
	os.Exit(2)
}
