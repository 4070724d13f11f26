// Package control is the local control socket of a running sioproxy: a
// Unix socket (mode 0600, in a 0700 directory of the user's runtime dir)
// speaking small JSON requests over HTTP. `sioproxy sessions` and
// `sioproxy inject` are its clients; scripts and tests use the same API:
//
//	GET  /sessions  → [{"sid":…, "transport":…, "eio":…, "namespaces":[…], …}]
//	POST /inject    ← {"sid":"", "nsp":"/", "as":"client"|"server", "event":"…",
//	                   "args":[…], "attachments":["<base64>"], "ack":true, "timeout_ms":5000}
//	                → {"sid":…, "ack":{"id":…, "args":[…], "latency_ms":…}}
//
// There is no TCP listener: whoever can open the socket can change the
// traffic, so only the user (file mode) may.
package control

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/proxy/active"
)

// DefaultPath is where the socket lives: $XDG_RUNTIME_DIR/sioproxy.sock,
// else os.TempDir()/sioproxy-$UID/sioproxy.sock.
func DefaultPath() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "sioproxy.sock")
	}
	return filepath.Join(os.TempDir(), "sioproxy-"+strconv.Itoa(os.Getuid()), "sioproxy.sock")
}

// PidPath is the socket of a sioproxy that found DefaultPath taken: the
// same directory, named after the process id.
func PidPath() string {
	return filepath.Join(filepath.Dir(DefaultPath()), "sioproxy-"+strconv.Itoa(os.Getpid())+".sock")
}

// ErrInUse is returned by Listen when a live sioproxy answers on the path.
var ErrInUse = errors.New("another sioproxy is using it (give --control PATH, or --control off)")

// InjectRequest is the body of POST /inject.
type InjectRequest struct {
	Sid         string            `json:"sid,omitempty"`
	Nsp         string            `json:"nsp,omitempty"`
	As          string            `json:"as"`
	Event       string            `json:"event"`
	Args        []json.RawMessage `json:"args,omitempty"`
	Attachments []string          `json:"attachments,omitempty"` // base64
	Ack         bool              `json:"ack,omitempty"`
	TimeoutMs   int               `json:"timeout_ms,omitempty"`
}

// InjectReply is the answer to POST /inject.
type InjectReply struct {
	Sid string    `json:"sid"`
	Ack *AckReply `json:"ack,omitempty"`
}

// AckReply is the ACK an injected EVENT got.
type AckReply struct {
	ID        int64           `json:"id"`
	Args      json.RawMessage `json:"args"`
	LatencyMs float64         `json:"latency_ms"`
}

// Server serves the control API for an Engine.
type Server struct {
	e    *active.Engine
	ln   net.Listener
	srv  *http.Server
	Path string
}

// Listen creates the socket at path ("" for DefaultPath). A socket left by
// a dead sioproxy is replaced; one that answers belongs to a running
// sioproxy, and then the error says so.
func Listen(path string, e *active.Engine) (*Server, error) {
	if path == "" {
		path = DefaultPath()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, ErrInUse)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &Server{e: e, ln: ln, Path: path}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sessions", s.sessions)
	mux.HandleFunc("POST /inject", s.inject)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops serving and removes the socket.
func (s *Server) Close() error {
	err := s.srv.Close()
	os.Remove(s.Path)
	return err
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.e.Sessions())
}

func (s *Server) inject(w http.ResponseWriter, r *http.Request) {
	var req InjectRequest
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20))
	d.DisallowUnknownFields()
	if err := d.Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("bad request: %v", err))
		return
	}
	in := active.Injection{Nsp: req.Nsp, Event: req.Event, Args: req.Args, Ack: req.Ack, Rule: "inject (control)"}
	switch req.As {
	case "client":
		in.As = decode.C2S
	case "server":
		in.As = decode.S2C
	default:
		writeErr(w, http.StatusBadRequest, fmt.Errorf("as %q: want \"client\" or \"server\"", req.As))
		return
	}
	for i, a := range req.Attachments {
		b, err := base64.StdEncoding.DecodeString(a)
		if err != nil {
			writeErr(w, http.StatusBadRequest, fmt.Errorf("attachment %d is not base64: %v", i+1, err))
			return
		}
		in.Attachments = append(in.Attachments, b)
	}
	ch, c, err := s.e.Inject(req.Sid, in)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, active.ErrNoSession) {
			status = http.StatusNotFound
		}
		writeErr(w, status, err)
		return
	}
	rep := InjectReply{Sid: c.Sid()}
	if ch != nil {
		timeout := time.Duration(req.TimeoutMs) * time.Millisecond
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case a := <-ch:
			rep.Ack = &AckReply{ID: a.ID, Args: a.Args, LatencyMs: float64(a.Latency) / float64(time.Millisecond)}
		case <-t.C:
			writeErr(w, http.StatusGatewayTimeout, fmt.Errorf("sent to %s; no ack within %v", rep.Sid, timeout))
			return
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, http.StatusOK, rep)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// Client talks to a running sioproxy's control socket.
type Client struct {
	Path string
	hc   *http.Client
}

// NewClient returns a client for the socket at path ("" for DefaultPath).
func NewClient(path string) *Client {
	if path == "" {
		path = DefaultPath()
	}
	return &Client{Path: path, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}}
}

// Sessions lists the running sioproxy's live sessions.
func (c *Client) Sessions(ctx context.Context) ([]active.SessionInfo, error) {
	var out []active.SessionInfo
	return out, c.do(ctx, "GET", "/sessions", nil, &out)
}

// Inject sends req and waits for the answer (the ACK with req.Ack).
func (c *Client) Inject(ctx context.Context, req InjectRequest) (*InjectReply, error) {
	var out InjectReply
	return &out, c.do(ctx, "POST", "/inject", req, &out)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://sioproxy"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) {
			return fmt.Errorf("no sioproxy on control socket %s (is it running? --control PATH picks another): %v", c.Path, ne.Err)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		return errors.New(e.Error)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
