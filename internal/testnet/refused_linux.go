// Package testnet gives tests loopback addresses with known behaviour.
package testnet

import (
	"strconv"
	"syscall"
	"testing"
)

// RefusedPort returns a loopback port on which connections are refused,
// and stay refused until release is called (or the test ends). A port
// taken from a closed listener is free only for a moment: on a busy
// machine another test's server can be given it and answer. A socket
// bound but not listening holds the port, and the kernel refuses
// connections to it.
func RefusedPort(t testing.TB) (port int, release func()) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatalf("bind 127.0.0.1:0: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		t.Fatalf("getsockname: %v", err)
	}
	closed := false
	release = func() {
		if !closed {
			closed = true
			syscall.Close(fd)
		}
	}
	t.Cleanup(release)
	return sa.(*syscall.SockaddrInet4).Port, release
}

// RefusedAddr is RefusedPort's host:port, held for the whole test.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	port, _ := RefusedPort(t)
	return "127.0.0.1:" + strconv.Itoa(port)
}
