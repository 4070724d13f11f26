package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/testnet"
)

// Correlation rules against real socket.io 4.8 servers and clients
// (issue 12 points 1 and 7, issue 16): a down upstream, round-robin
// consequences, ack timeouts, latent CORS, connection state recovery,
// duplicate sessions, reconnection storms and backoff.

// refusedPort is a port that refuses connections for the whole test.
func refusedPort(t *testing.T) int {
	port, _ := testnet.RefusedPort(t)
	return port
}

// runDiagClient runs one diag-client.js scenario to its end and returns
// its result object.
func runDiagClient(t *testing.T, url, scenario string, opts map[string]any) map[string]any {
	t.Helper()
	p := startNodeClient(t, "diag-client.js", url, scenario, opts)
	if err := p.wait(clientTimeout); err != nil {
		t.Fatalf("diag-client.js %s: %v\n%s", scenario, err, p.describe())
	}
	return diagResult(t, p)
}

func diagResult(t *testing.T, p *proc) map[string]any {
	t.Helper()
	for _, l := range p.stdout.all() {
		var m struct {
			Result map[string]any `json:"result"`
		}
		if json.Unmarshal([]byte(l), &m) == nil && m.Result != nil {
			return m.Result
		}
	}
	t.Fatalf("%s printed no result line\n%s", p.name, p.describe())
	return nil
}

// expectRootFaults fails for any fault that is not a consequence (cause
// set) and whose code is not in allowed.
func expectRootFaults(t *testing.T, px *sioproxy, allowed ...string) {
	t.Helper()
	for _, f := range faultLines(px.events(t)) {
		if f.Fault != nil && f.Fault.Cause == "" && !slices.Contains(allowed, f.Fault.Code) {
			t.Errorf("unexpected root fault besides %q: %s", allowed, brief(f))
		}
	}
}

// expectCode waits for a fault line of code whose summary matches every
// regexp (a folded fault's later update may add what the first lacked).
func expectCode(t *testing.T, px *sioproxy, code string, summary ...string) *event.Event {
	t.Helper()
	match := func(e event.Event) bool {
		if e.Kind != event.KindFault || e.Fault == nil || e.Fault.Code != code {
			return false
		}
		for _, re := range summary {
			if !matchI(re, e.Fault.Summary) {
				return false
			}
		}
		return true
	}
	evs, ok := px.waitEvents(t, faultAfterEvidence, func(evs []event.Event) bool { return slices.ContainsFunc(evs, match) })
	if !ok {
		t.Errorf("sioproxy reported no %s matching %q within %v\n%s", code, summary, faultAfterEvidence, describeOutput(evs))
		return nil
	}
	e := evs[slices.IndexFunc(evs, match)]
	if e.Fault.Fix == "" || e.Fault.Count < 1 {
		t.Errorf("%s without fix or count: %s", code, brief(e))
	}
	return &e
}

func TestDiagnoseCorrelation(t *testing.T) {
	needProxy(t)
	for _, sc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"upstream-down-then-up", diagUpstreamDown},
		{"round-robin-reconnecting", diagRoundRobin},
		{"ack-never-comes", diagAckTimeout},
		{"cors-wildcard-with-credentials", diagCORSWildcard},
		{"cors-reflects-any-origin", diagCORSReflect},
		{"cors-one-origin-healthy", diagCORSHealthy},
		{"csr-recovered", diagCSRRecovered},
		{"csr-zero-event-reconnect", diagCSRZeroEvent},
		{"csr-upstream-restart", diagCSRRestart},
		{"two-sessions-one-client", diagDuplicate},
		{"two-clients-healthy", diagTwoUsers},
		{"storm-against-down-upstream", diagStorm},
		{"retry-without-backoff", diagNoBackoff},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// Issue 12, point 1: the target is not listening. sioproxy warns at
// start-up, reports upstream_unreachable with the target and the dial
// error, and relays normally once the server is up.
func diagUpstreamDown(t *testing.T) {
	port, release := testnet.RefusedPort(t)
	target := "http://127.0.0.1:" + itoa(port)
	px := startProxy(t, target)
	if !px.stderr.waitFor(startTimeout, func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.Contains(l, "warning: the target "+target+" does not answer") && strings.Contains(l, "connection refused")
		})
	}) {
		t.Errorf("no start-up warning about the down target on stderr\n%s", px.describe())
	}
	r := runFaultClient(t, px.url, "connect", map[string]any{"transports": []string{"polling"}})
	wantConnectError(t, r, `xhr poll error`)
	e, _ := expectFault(t, px, faultWant{catalog: []string{"K"}, code: []string{"upstream_unreachable"},
		summary: []string{regexp.QuoteMeta(target), "connection refused", "502"},
		fix:     []string{"running", "port " + itoa(port)}})
	if e != nil && e.Fault.Target != target {
		t.Errorf("fault target %q, want %q", e.Fault.Target, target)
	}
	release()
	startServer(t, map[string]any{"port": port})
	r = runFaultClient(t, px.url, "connect", map[string]any{"transports": []string{"polling"}})
	if !r.Connected {
		t.Fatalf("once the server is up the client should connect: %s", r)
	}
	expectWire(t, px, "the session of the second client closed", sessionLine("close", r.Sid))
	expectOnlyFaults(t, px, "K")
}

// Issue 12, point 7: round-robin over two nodes with a reconnecting
// client. C1/C2 are the root causes; anything else (H2 overlaps, session
// unknown) must be attributed to them.
func diagRoundRobin(t *testing.T) {
	a, b := startServer(t, nil), startServer(t, nil)
	px := startProxy(t, a.url, "--target", b.url, "--balance", "round-robin")
	res := runDiagClient(t, px.url, "retry", map[string]any{"transports": []string{"polling"}, "errors": 4, "reconnectionDelay": 100, "reconnectionDelayMax": 400})
	if res["errors"].(float64) < 4 {
		t.Fatalf("the client should have failed 4 times: %v", res)
	}
	expectFault(t, px, faultWant{catalog: []string{"C2"}, code: []string{"sid_routed_to_other_upstream"}})
	expectRootFaults(t, px, "sid_routed_to_other_upstream", "session_unknown_live", "sid_backend_changed")
}

// Issue 16.6: the server's handler for "never-ack" never calls back.
func diagAckTimeout(t *testing.T) {
	srv := startServer(t, nil)
	px := startProxy(t, srv.url, "--ack-timeout", "1s")
	res := runDiagClient(t, px.url, "noack", map[string]any{"transports": []string{"websocket"}, "wait": 2500})
	if res["called"] != false {
		t.Fatalf("the never-ack callback fired: %v", res)
	}
	sid, _ := res["sid"].(string)
	expectFault(t, px, faultWant{catalog: []string{"G5"}, code: []string{"ack_timeout"}, sid: sid,
		summary: []string{`"never-ack"`, `within 1\.0 s`}, fix: []string{`handler for "never-ack"`}})
	// Who closed and how: the client's goodbye over WebSocket.
	i := expectWire(t, px, "the session closed", sessionLine("close", sid))
	if i >= 0 {
		ev := px.events(t)[i]
		if ev.How == "" || ev.AgeMs == nil || ev.IdleMs == nil || ev.By != "client" {
			t.Errorf("the close line should say who closed, how, the age and the idle time: %s", brief(ev))
		}
	}
	expectOnlyFaults(t, px, "G5")
	for _, f := range faultLines(px.events(t)) {
		if strings.Contains(f.Fault.Summary, `"hello"`) {
			t.Errorf("the acked hello was reported: %s", brief(f))
		}
	}
}

// handshake sends one Engine.IO handshake through sioproxy with an Origin,
// as a browser on that page would, and returns the response.
func handshake(t *testing.T, px *sioproxy, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", px.url+"/socket.io/?EIO=4&transport=polling", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Issue 16.5: cors {origin: "*", credentials: true} works for a client
// without credentials, and fails the first one with them.
func diagCORSWildcard(t *testing.T) {
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": "*", "credentials": true}})
	px := startProxy(t, srv.url)
	resp := handshake(t, px, "http://app.example:5173")
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("server answered %v, want ACAO * with credentials", resp.Header)
	}
	expectFault(t, px, faultWant{catalog: []string{"B5"}, code: []string{"cors_wildcard_credentials_latent"},
		summary: []string{regexp.QuoteMeta("http://app.example:5173")}, fix: []string{regexp.QuoteMeta(`origin: ["http://app.example:5173"]`)}})
	expectOnlyFaults(t, px, "B5")
}

// Issue 16.5: cors {origin: true, credentials: true} echoes any origin.
func diagCORSReflect(t *testing.T) {
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": true, "credentials": true}})
	px := startProxy(t, srv.url)
	for _, o := range []string{"http://app.example", "http://evil.example"} {
		if got := handshake(t, px, o).Header.Get("Access-Control-Allow-Origin"); got != o {
			t.Fatalf("server answered ACAO %q to %s, want it echoed", got, o)
		}
	}
	expectFault(t, px, faultWant{catalog: []string{"B5"}, code: []string{"cors_origin_reflected_with_credentials"},
		summary: []string{"http://app.example", "http://evil.example", "any website"}})
	expectOnlyFaults(t, px, "B5")
}

// The right setup: one origin, with credentials, asked many times.
func diagCORSHealthy(t *testing.T) {
	srv := startServer(t, map[string]any{"cors": map[string]any{"origin": "http://app.example", "credentials": true}})
	px := startProxy(t, srv.url)
	for range 3 {
		handshake(t, px, "http://app.example")
	}
	expectWire(t, px, "three handshakes", func(e event.Event) bool {
		return len(slices.DeleteFunc(px.events(t), func(e event.Event) bool { return e.Kind != event.KindSession || e.Action != "open" })) >= 3
	})
	if f := faultLines(px.events(t)); len(f) > 0 {
		t.Errorf("a correct CORS setup raised %s", brief(f[0]))
	}
}

// csrServer is a server config with connectionStateRecovery (a new map
// each time: startServer adds the port to it).
func csrServer() map[string]any {
	return map[string]any{"connectionStateRecovery": map[string]any{"maxDisconnectionDuration": 60000}}
}

func csrConnect(px *sioproxy, recovered bool) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.Kind == event.KindPacket && e.Type == "CONNECT" && e.Dir == "s2c" && e.Recovered != nil && *e.Recovered == recovered
	}
}

// Issue 16.1, healthy: the client got an event (so it holds an offset),
// its transport drops, it comes back and the server recovers the socket.
func diagCSRRecovered(t *testing.T) {
	srv := startServer(t, csrServer())
	px := startProxy(t, srv.url)
	res := runDiagClient(t, px.url, "csr", map[string]any{"transports": []string{"websocket"}, "news": 2})
	if res["recovered"] != true {
		t.Fatalf("the socket should have been recovered: %v", res)
	}
	expectWire(t, px, "the server's CONNECT with recovered:true", csrConnect(px, true))
	for _, f := range faultLines(px.events(t)) {
		if f.Fault.Catalog == "L1" {
			t.Errorf("a recovered socket raised %s", brief(f))
		}
	}
}

// socket.io #5538: no event before the drop, so no offset; the server
// refuses the recovery.
func diagCSRZeroEvent(t *testing.T) {
	srv := startServer(t, csrServer())
	px := startProxy(t, srv.url)
	res := runDiagClient(t, px.url, "csr", map[string]any{"transports": []string{"websocket"}})
	if res["recovered"] != false {
		t.Fatalf("socket.io 4.8 should refuse a recovery without offset: %v", res)
	}
	expectWire(t, px, "the server's CONNECT with recovered:false", csrConnect(px, false))
	expectFault(t, px, faultWant{catalog: []string{"L1"}, code: []string{"csr_offset_missing"}, summary: []string{"no offset", "5538"}})
	for _, f := range faultLines(px.events(t)) {
		if f.Fault.Code == "csr_recovery_failed" && f.Fault.Cause != "csr_offset_missing" {
			t.Errorf("the failed recovery should be attributed to the missing offset: %s", brief(f))
		}
	}
	expectOnlyFaults(t, px, "L1")
}

// Issue 16.1: the upstream restarts (in-memory state lost) while the
// client is away; it reconnects in time and the recovery fails.
func diagCSRRestart(t *testing.T) {
	srv := startServer(t, csrServer())
	px := startProxy(t, srv.url)
	p := startNodeClient(t, "diag-client.js", px.url, "csr", map[string]any{"transports": []string{"websocket"}, "news": 1, "waitDrop": true, "reconnectionDelay": 300})
	if !p.stdout.waitFor(clientTimeout, func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, `"ready":true`) })
	}) {
		t.Fatalf("the client did not connect\n%s", p.describe())
	}
	srv.stop()
	cfg := csrServer()
	cfg["port"] = srv.port
	again := startServer(t, cfg)
	t.Logf("server restarted on %s (was %s)", again.url, srv.url)
	if err := p.wait(clientTimeout); err != nil {
		t.Fatalf("diag-client.js csr: %v\n%s\n%s", err, p.describe(), describeOutput(px.events(t)))
	}
	if res := diagResult(t, p); res["recovered"] != false {
		t.Fatalf("a restarted server cannot recover the socket: %v", res)
	}
	expectFault(t, px, faultWant{catalog: []string{"L1"}, code: []string{"csr_recovery_failed"},
		summary: []string{"within maxDisconnectionDuration", "state was lost"}})
	expectRootFaults(t, px, "csr_recovery_failed", "upstream_unreachable", "session_abnormal_end")
}

// Issue 16.3: one client opens two managers with the same auth.
func diagDuplicate(t *testing.T) {
	srv := startServer(t, map[string]any{"pingInterval": 300, "pingTimeout": 1000})
	px := startProxy(t, srv.url)
	res := runDiagClient(t, px.url, "two", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": "u1"}})
	sids, _ := res["sids"].([]any)
	if len(sids) != 2 {
		t.Fatalf("result %v", res)
	}
	expectCode(t, px, "duplicate_session", `two live sessions on /`, regexp.QuoteMeta(sids[0].(string)), regexp.QuoteMeta(sids[1].(string)), `server events delivered on both sessions \(twice on the wire\)`)
	expectOnlyFaults(t, px, "L3")
}

// Two users (different tokens) from one address are not a duplicate.
func diagTwoUsers(t *testing.T) {
	srv := startServer(t, map[string]any{"pingInterval": 300, "pingTimeout": 1000})
	px := startProxy(t, srv.url)
	var procs []*proc
	for _, tok := range []string{"u1", "u2"} {
		procs = append(procs, startNodeClient(t, "diag-client.js", px.url, "noack", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": tok}, "wait": 1500}))
	}
	var sids []string
	for _, p := range procs {
		if err := p.wait(clientTimeout); err != nil {
			t.Fatalf("%v\n%s", err, p.describe())
		}
		sids = append(sids, diagResult(t, p)["sid"].(string))
	}
	for _, sid := range sids {
		expectWire(t, px, "the session closed", sessionLine("close", sid))
	}
	for _, f := range faultLines(px.events(t)) {
		if f.Fault.Catalog == "L3" {
			t.Errorf("two users raised %s", brief(f))
		}
	}
}

// Issue 16.2: five clients with a short backoff hammer a target that is
// down: a storm of failed handshakes.
func diagStorm(t *testing.T) {
	px := startProxy(t, "http://127.0.0.1:"+itoa(refusedPort(t)))
	var procs []*proc
	for range 5 {
		procs = append(procs, startNodeClient(t, "diag-client.js", px.url, "retry", map[string]any{"transports": []string{"polling"}, "errors": 6, "reconnectionDelay": 100, "reconnectionDelayMax": 200}))
	}
	for _, p := range procs {
		if err := p.wait(clientTimeout); err != nil {
			t.Fatalf("%v\n%s", err, p.describe())
		}
	}
	expectCode(t, px, "reconnect_storm", `\d+ handshakes in`, `from 1 client hosts`, `failed \(100 %\)`)
	expectOnlyFaults(t, px, "K", "L2")
}

// Issue 16.2: one client retrying every 100 ms, no jitter.
func diagNoBackoff(t *testing.T) {
	px := startProxy(t, "http://127.0.0.1:"+itoa(refusedPort(t)))
	runDiagClient(t, px.url, "retry", map[string]any{"transports": []string{"polling"}, "errors": 8, "reconnectionDelay": 100, "reconnectionDelayMax": 100, "randomizationFactor": 0})
	// On a busy machine the client's own timers add jitter: either verdict.
	expectCode(t, px, "reconnect_without_backoff", `constant interval of about 1\d\d ms|every \d+ ms or so without growing`)
	expectOnlyFaults(t, px, "K", "L2")
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
