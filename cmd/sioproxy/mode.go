package main

// listenTLS reports whether clients reach sioproxy over TLS; the fault
// rules need it for same-origin checks and the mixed-content heuristic.
func (c config) listenTLS() bool { return c.TLS }

// forward reports whether sioproxy runs as a forward proxy.
func (c config) forward() bool { return c.Mode == "forward" }
