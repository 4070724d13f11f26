//go:build !linux

package e2e

import "syscall"

// sysProcAttr puts a child in its own process group, killed as a whole at
// cleanup.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
