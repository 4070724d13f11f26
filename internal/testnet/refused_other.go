//go:build !linux

package testnet

import (
	"net"
	"strconv"
	"testing"
)

// RefusedPort falls back to a port that is free for the moment (see the
// Linux one, which holds it).
func RefusedPort(t testing.TB) (port int, release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port, func() {}
}

// RefusedAddr is RefusedPort's host:port.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	port, _ := RefusedPort(t)
	return "127.0.0.1:" + strconv.Itoa(port)
}
