package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the benchmark started.
type proc struct {
	cmd *exec.Cmd
	url string
	dir string // removed by stop (nginx's prefix directory)
	// For a process the benchmark did not start itself (sioproxy inside
	// tmux): its pid and how to end it.
	ownPid int
	stopFn func()
	screen func() string // the tui mode's screen
	grace  time.Duration // how long stop waits after SIGTERM; default 5 s
}

func (p *proc) pid() int {
	if p.ownPid != 0 {
		return p.ownPid
	}
	return p.cmd.Process.Pid
}

func (p *proc) stop() {
	if p != nil && p.stopFn != nil {
		p.stopFn()
		return
	}
	if p == nil || p.cmd.Process == nil {
		return
	}
	if p.dir != "" {
		defer os.RemoveAll(p.dir)
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	grace := p.grace
	if grace == 0 {
		grace = 5 * time.Second
	}
	select {
	case <-done:
	case <-time.After(grace):
		// Whatever it had not written yet is lost: say so, or a count of
		// its output would look like drops.
		fmt.Fprintf(os.Stderr, "loadbench: %s did not exit within %s of SIGTERM; killed\n", p.cmd.Path, grace)
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}

// startEcho runs echo.js with the e2e/ node_modules.
func startEcho(repo string) (*proc, error) {
	mods := filepath.Join(repo, "e2e", "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "socket.io")); err != nil {
		return nil, fmt.Errorf("socket.io is not installed in %s: run (cd e2e && npm ci)", mods)
	}
	cmd := exec.Command("node", filepath.Join(repo, "internal", "loadbench", "echo.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := start(cmd); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("echo server did not start: %w", err)
	}
	var hello struct{ Listening int }
	if err := json.Unmarshal([]byte(line), &hello); err != nil {
		return nil, fmt.Errorf("echo server said %q: %w", line, err)
	}
	return &proc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", hello.Listening)}, nil
}

var listenRE = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// startSioproxy runs the sioproxy binary headless with --json to a file, so
// the benchmark pays for decoding and writing every packet.
func startSioproxy(bin, target, jsonOut string) (*proc, error) {
	f, err := os.Create(jsonOut)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, "--target", target, "--listen", "127.0.0.1:0", "--json")
	cmd.Stdout = f
	p, err := startListening("sioproxy", cmd)
	if p != nil {
		p.grace = time.Minute // it writes out all it holds before it exits
	}
	return p, err
}

// startRelay runs the sioproxy binary as startSioproxy does, but with
// SIOPROXY_RELAY_ONLY set: it relays and observes nothing, so the
// difference to the sioproxy mode is what decoding and output cost.
func startRelay(bin, target string) (*proc, error) {
	cmd := exec.Command(bin, "--target", target, "--listen", "127.0.0.1:0", "--json")
	cmd.Env = append(os.Environ(), "SIOPROXY_RELAY_ONLY=1")
	return startListening("relay", cmd)
}

const nginxConf = `daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  client_max_body_size 100m;
  # Stream request bodies as sioproxy does, and never spill them to
  # client_body_temp_path: as root, nginx's workers (nobody) cannot write
  # into the 0700 temp dir, which failed every 64 KiB POST.
  client_body_buffer_size 1m;
  proxy_request_buffering off;
  upstream app { server %[2]s; keepalive 64; }
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:%[3]d;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 120s;
    }
  }
}
`

// startNginx runs Debian's nginx as a plain reverse proxy (the reference).
func startNginx(target string) (*proc, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			bin = "/usr/sbin/nginx"
		} else {
			return nil, fmt.Errorf("nginx not found (apt-get install nginx)")
		}
	}
	dir, err := os.MkdirTemp("", "loadbench-nginx")
	if err != nil {
		return nil, err
	}
	p, err := runNginx(bin, dir, target)
	if err != nil {
		os.RemoveAll(dir)
	}
	return p, err
}

// runNginx starts nginx with dir as its prefix and waits until it listens.
func runNginx(bin, dir, target string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, strings.TrimPrefix(target, "http://"), port)), 0o644); err != nil {
		return nil, fmt.Errorf("writing nginx's configuration: %w", err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf)
	cmd.Stderr = os.Stderr
	if err := start(cmd); err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if waitListen(addr, 5*time.Second) {
		return &proc{cmd: cmd, url: "http://" + addr, dir: dir}, nil
	}
	cmd.Process.Kill()
	cmd.Wait()
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	return nil, fmt.Errorf("nginx did not listen on %s; its error.log: %q", addr, log)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListen waits until something accepts connections on addr.
func waitListen(addr string, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return true
		}
	}
	return false
}
