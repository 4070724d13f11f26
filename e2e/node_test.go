package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Generous: the machine running the tests may be small and busy.
const (
	startTimeout  = 60 * time.Second // a process printing that it listens
	clientTimeout = 90 * time.Second // one client scenario, end to end
	settleTimeout = 30 * time.Second // logs of all sides agreeing
)

// nodeServer is a running e2e/node/server.js.
type nodeServer struct {
	*proc
	port int
	url  string
}

// startServer runs server.js with cfg (see the option list at its top).
func startServer(t testing.TB, cfg map[string]any) *nodeServer {
	t.Helper()
	if cfg == nil {
		cfg = map[string]any{}
	}
	if _, ok := cfg["port"]; !ok {
		cfg["port"] = 0
	}
	return startNode(t, "server.js", "server.js", cfg, "http")
}

// startNode runs e2e/node/<script> with cfg as its JSON argument and waits
// for the {"listening":PORT} line every script prints once it listens.
func startNode(t testing.TB, name, script string, cfg map[string]any, scheme string) *nodeServer {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, name, e2eDir, nodeBin, filepath.Join("node", script), string(b))
	var port int
	ok := p.stdout.waitFor(startTimeout, func(lines []string) bool {
		for _, l := range lines {
			var m struct {
				Listening int `json:"listening"`
			}
			if json.Unmarshal([]byte(l), &m) == nil && m.Listening > 0 {
				port = m.Listening
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("%s did not print {\"listening\":PORT} within %v\n%s", script, startTimeout, p.describe())
	}
	return &nodeServer{proc: p, port: port, url: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)}
}

// packets returns the server's packet lines for the given sessions.
func (s *nodeServer) packets(t testing.TB, sids map[string]bool) []wirePacket {
	var out []wirePacket
	for _, p := range parseWirePackets(t, "server.js", s.stdout.all()) {
		if sids[p.Sid] {
			out = append(out, p)
		}
	}
	return out
}

// clientRun is a finished client.js run.
type clientRun struct {
	packets []wirePacket
	results json.RawMessage
	sids    map[string]bool
}

// runClient runs client.js to completion and fails the test unless it
// exits 0 with a done line.
func runClient(t testing.TB, url, scenario string, opts map[string]any) *clientRun {
	t.Helper()
	p := startClient(t, url, scenario, opts)
	if err := p.wait(clientTimeout); err != nil {
		t.Fatalf("client.js scenario %q against %s: %v\n%s", scenario, url, err, p.describe())
	}
	return finishClient(t, p)
}

func startClient(t testing.TB, url, scenario string, opts map[string]any) *proc {
	t.Helper()
	return startNodeClient(t, "client.js", url, scenario, opts)
}

// startNodeClient runs the client script e2e/node/<script> for one
// scenario against url; opts add to or override its configuration.
func startNodeClient(t testing.TB, script, url, scenario string, opts map[string]any) *proc {
	t.Helper()
	cfg := map[string]any{"url": url, "scenario": scenario, "timeout": (clientTimeout - 10*time.Second).Milliseconds()}
	for k, v := range opts {
		cfg[k] = v
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return startProc(t, script+" "+scenario, e2eDir, nodeBin, filepath.Join("node", script), string(b))
}

func finishClient(t testing.TB, p *proc) *clientRun {
	t.Helper()
	run := &clientRun{sids: map[string]bool{}}
	lines := p.stdout.all()
	for _, l := range lines {
		var done struct {
			Done    bool            `json:"done"`
			Results json.RawMessage `json:"results"`
		}
		if json.Unmarshal([]byte(l), &done) == nil && done.Done {
			run.results = done.Results
		}
	}
	if run.results == nil {
		t.Fatalf("%s printed no done line\n%s", p.name, p.describe())
	}
	run.packets = parseWirePackets(t, p.name, lines)
	for _, pk := range run.packets {
		if pk.Sid == "" {
			t.Fatalf("%s logged a packet without a sid: %+v", p.name, pk)
		}
		run.sids[pk.Sid] = true
	}
	return run
}

// wirePacket is one packet line logged by server.js or client.js.
type wirePacket struct {
	Side  string          `json:"side"`
	Dir   string          `json:"dir"` // sent or recv
	Sid   string          `json:"sid"`
	Type  string          `json:"type"`
	Nsp   string          `json:"nsp"`
	ID    *int64          `json:"id"`
	Ack   bool            `json:"ack"`
	Event string          `json:"event"`
	Args  json.RawMessage `json:"args"`
	EIO   int             `json:"eio"`
}

func parseWirePackets(t testing.TB, who string, lines []string) []wirePacket {
	var out []wirePacket
	for _, l := range lines {
		if !strings.Contains(l, `"side":`) {
			continue
		}
		var p wirePacket
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("%s: bad packet line %q: %v", who, l, err)
		}
		out = append(out, p)
	}
	return out
}
