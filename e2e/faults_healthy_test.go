package e2e

import (
	"testing"
)

// TestFaultsHealthy: configurations next to the faulty ones that are
// right, so each fault rule is also checked for false alarms. (The issue-3
// scenarios check the same with checkNoFaults on their own traffic; the
// healthy TLS and browser cases are in TestFaultsUpstreamTLS and
// TestFaultsBrowser.)
func TestFaultsHealthy(t *testing.T) {
	needProxy(t)
	for _, sc := range []struct {
		name   string
		server map[string]any
		second bool     // a second node behind --balance sticky
		flags  []string // extra sioproxy flags
		opts   map[string]any
		eio3   bool
	}{
		// The fix for C1/C2: the same two nodes, balanced by sid.
		{name: "two-nodes-sticky", second: true, flags: []string{"--balance", "sticky"}, opts: map[string]any{"transports": []string{"polling"}}},
		{name: "two-nodes-sticky-upgrade", second: true, flags: []string{"--balance", "sticky"}, opts: map[string]any{"upgrade": true}},
		// F1 must use the session's own timers, not the defaults.
		{name: "fast-heartbeat", server: map[string]any{"pingInterval": 1000, "pingTimeout": 1000}, opts: map[string]any{"upgrade": true, "pings": 3}},
		{name: "fast-heartbeat-polling", server: map[string]any{"pingInterval": 1000, "pingTimeout": 1000}, opts: map[string]any{"transports": []string{"polling"}, "pings": 3}},
		// Under the limit of a small maxHttpBufferSize.
		{name: "small-max-http-buffer-size", server: map[string]any{"maxHttpBufferSize": 1000}, opts: map[string]any{"upgrade": true}},
		// A declared namespace with the right token.
		{name: "namespace-with-token", server: map[string]any{"namespaces": []map[string]any{{"name": "/admin", "token": "secret"}}}, opts: map[string]any{"nsp": "/admin", "auth": map[string]any{"token": "secret"}, "upgrade": true}},
		// A custom path used on both sides.
		{name: "custom-path", server: map[string]any{"path": "/sockets/"}, flags: []string{"--path", "/sockets/"}, opts: map[string]any{"path": "/sockets/", "upgrade": true}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			cfg := map[string]any{}
			for k, v := range sc.server {
				cfg[k] = v
			}
			srv := startServer(t, cfg)
			flags := sc.flags
			if sc.second {
				other := startServer(t, nil)
				flags = append([]string{"--target", other.url}, flags...)
			}
			px := startProxy(t, srv.url, flags...)
			r := runFaultClient(t, px.url, "connect", sc.opts)
			if !r.Connected {
				t.Fatalf("the client should connect, got %s\n%s", r, px.describe())
			}
			if sc.opts["upgrade"] == true && r.Transport != "websocket" {
				t.Errorf("the client should have upgraded, transport %q", r.Transport)
			}
			expectNoFaults(t, px, r.Sid)
		})
	}
}
