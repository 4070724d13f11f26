package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sioproxy/sioproxy/internal/control"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/active/rules"
	"github.com/sioproxy/sioproxy/proxy/inject"
	"github.com/sioproxy/sioproxy/tui"
)

// startActive creates the active layer for the proxy when the control
// socket or a rules file asks for one, and returns the socket's path and
// the cleanup. A nil Engine keeps the relay purely transparent. When the
// default socket belongs to another running sioproxy, this one takes a
// socket of its own named after its pid.
func startActive(ctx context.Context, cfg config, faults *inject.Set, stderr io.Writer) (*active.Engine, string, func(), error) {
	if cfg.Control == "off" && cfg.Rules == "" {
		return nil, "", func() {}, nil
	}
	e := active.New(active.Options{})
	var srv *control.Server
	if cfg.Control != "off" {
		var err error
		srv, err = control.Listen(cfg.Control, e)
		if errors.Is(err, control.ErrInUse) && cfg.Control == "" {
			srv, err = control.Listen(control.PidPath(), e)
		}
		if err != nil {
			return nil, "", nil, err
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	path := ""
	cleanup := func() {
		cancel()
		if srv != nil {
			srv.Close()
		}
	}
	if srv != nil {
		path = srv.Path
	}
	if cfg.Rules != "" {
		parse := func(s string) (rules.Matcher, error) { return tui.ParseFilter(s) }
		logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
		if err := rules.Watch(rctx, cfg.Rules, e, faults, parse, logf); err != nil {
			cleanup()
			return nil, "", nil, err
		}
	}
	return e, path, cleanup, nil
}

const injectUsage = `usage: sioproxy inject [--sid S] [--nsp /chat] --as client|server EVENT
                      [JSON ...] [--ack] [--attach FILE]

Sends EVENT with the JSON arguments into a live session of a running sioproxy.

  --sid S          session id or a unique prefix (default: the newest session)
  --nsp NSP        namespace (default /)
  --as SIDE        client: to the server as the client;
                   server: to the client as the server
  --ack            ask for an acknowledgement and print it (it is never
                   delivered to the other side)
  --attach FILE    a binary argument read from FILE, after the JSON ones
                   (repeatable)
  --timeout D      how long to wait for the ack (default 10s)
  --control PATH   the control socket
                   (default ` + "$XDG_RUNTIME_DIR/sioproxy.sock" + `)
`

const sessionsUsage = `usage: sioproxy sessions [--json] [--control PATH]

Lists the live sessions of a running sioproxy (through its control socket).
`

// runInject is `sioproxy inject`.
func runInject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var req control.InjectRequest
	var attach multiFlag
	path := ""
	timeout := 10 * time.Second
	fs.StringVar(&req.Sid, "sid", "", "")
	fs.StringVar(&req.Nsp, "nsp", "", "")
	fs.StringVar(&req.As, "as", "", "")
	fs.BoolVar(&req.Ack, "ack", false, "")
	fs.Var(&attach, "attach", "")
	fs.DurationVar(&timeout, "timeout", timeout, "")
	fs.StringVar(&path, "control", "", "")
	pos, err := parseInterleaved(fs, args)
	if err == flag.ErrHelp {
		io.WriteString(stdout, injectUsage)
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	if req.As != "client" && req.As != "server" {
		return usageError{fmt.Errorf("inject: --as %q: want client or server", req.As)}
	}
	if len(pos) == 0 {
		return usageError{fmt.Errorf("inject: no EVENT name")}
	}
	req.Event = pos[0]
	for _, a := range pos[1:] {
		if !json.Valid([]byte(a)) {
			return usageError{fmt.Errorf("inject: argument %q is not JSON (quote strings: '\"text\"')", a)}
		}
		req.Args = append(req.Args, json.RawMessage(a))
	}
	for _, f := range attach {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("inject: --attach: %w", err)
		}
		req.Attachments = append(req.Attachments, base64.StdEncoding.EncodeToString(b))
	}
	req.TimeoutMs = int(timeout / time.Millisecond)
	rep, err := control.NewClient(path).Inject(ctx, req)
	if err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	fmt.Fprintf(stdout, "sent %q to %s as the %s\n", req.Event, rep.Sid, req.As)
	if rep.Ack != nil {
		fmt.Fprintf(stdout, "ack id=%d %s (%.1f ms)\n", rep.Ack.ID, rep.Ack.Args, rep.Ack.LatencyMs)
	}
	return nil
}

// runSessions is `sioproxy sessions`.
func runSessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := ""
	asJSON := false
	fs.StringVar(&path, "control", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			io.WriteString(stdout, sessionsUsage)
			return nil
		}
		return usageError{fmt.Errorf("sessions: %s", strings.Replace(err.Error(), " -", " --", 1))}
	}
	list, err := control.NewClient(path).Sessions(ctx)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no live sessions")
		return nil
	}
	for _, s := range list {
		fmt.Fprintf(stdout, "%-22s %-9s EIO%d %-7s %-20s %s\n", s.Sid, s.Transport, s.EIO, s.Parser,
			strings.Join(s.Namespaces, ","), s.Client)
	}
	return nil
}

// breakpointUI adapts the active layer's breakpoints to the TUI.
type breakpointUI struct{ bp *active.Breakpoints }

func newBreakpointUI(e *active.Engine) *breakpointUI {
	return &breakpointUI{bp: active.NewBreakpoints(e, func(s string) (active.Matcher, error) { return tui.ParseFilter(s) })}
}

func (b *breakpointUI) AddBreakpoint(f string) error { return b.bp.Add(f) }
func (b *breakpointUI) ClearBreakpoints()            { b.bp.Clear() }
func (b *breakpointUI) Breakpoints() []string        { return b.bp.Filters() }
func (b *breakpointUI) Resolve(id int, action string, args []byte) error {
	return b.bp.Resolve(id, action, args)
}

func (b *breakpointUI) Held() []tui.HeldMessage {
	hs := b.bp.Held()
	out := make([]tui.HeldMessage, len(hs))
	for i, h := range hs {
		out[i] = tui.HeldMessage{ID: h.ID, Sid: h.Sid, Dir: h.Dir, Transport: h.Transport, Type: h.Type, Nsp: h.Nsp,
			Event: h.Event, Args: h.Args, Filter: h.Filter, Since: h.Since, Deadline: h.Deadline}
	}
	return out
}
