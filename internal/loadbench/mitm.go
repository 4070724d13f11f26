package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// startMitm runs mitmdump (Debian's mitmproxy 8) as a reverse proxy: the
// other debugging proxy that decodes what it relays. With its default
// flow detail it prints a line per HTTP exchange and per WebSocket
// message, to out, as sioproxy prints --json.
func startMitm(target, out string) (*proc, error) {
	bin, err := exec.LookPath("mitmdump")
	if err != nil {
		return nil, fmt.Errorf("mitmdump not found (apt-get install mitmproxy)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loadbench-mitm")
	if err != nil {
		return nil, err
	}
	f, err := os.Create(out)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, "--mode", "reverse:"+target, "--listen-host", "127.0.0.1", "--listen-port", fmt.Sprint(port),
		"--set", "confdir="+filepath.Join(dir, "conf"), "--set", "connection_strategy=lazy")
	cmd.Stdout, cmd.Stderr = f, f
	if err := start(cmd); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting mitmdump: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Python starts slowly on a loaded machine.
	if waitListen(addr, 60*time.Second) {
		return &proc{cmd: cmd, url: "http://" + addr, dir: dir}, nil
	}
	(&proc{cmd: cmd, dir: dir}).stop()
	return nil, fmt.Errorf("mitmdump did not listen on %s", addr)
}
