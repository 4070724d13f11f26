package e2e

import "syscall"

// sysProcAttr puts a child in its own process group (killed as a whole at
// cleanup) and has the kernel kill it if the test binary dies first, so an
// interrupted run leaves no proxy or server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
