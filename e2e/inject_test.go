package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Fault injection (issue 14): sioproxy stages a production failure with
// --inject RULE between a real socket.io 4.8 server and a real
// socket.io-client 4.8; each scenario checks that the client reacts as the
// Socket.IO docs describe (falls back to polling, reconnects with the
// documented reason, emits connect_error) and that sioproxy marks the
// fault as injected and diagnoses the matching FAULTS.md entry, naming the
// rule. Heartbeats are short (pingInterval/pingTimeout 1 s) so that
// nothing waits long; every wait is for a state, never a sleep.

// fastServer is a server.js config with short timers.
func fastServer(extra map[string]any) map[string]any {
	cfg := map[string]any{"pingInterval": 1000, "pingTimeout": 1000, "upgradeTimeout": 2000}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// clientEv is one line of chaos-client.js.
type clientEv struct {
	Ev          string  `json:"ev"`
	Sid         string  `json:"sid"`
	Transport   string  `json:"transport"`
	Reason      string  `json:"reason"`
	Message     string  `json:"message"`
	Description string  `json:"description"`
	N           int     `json:"n"`
	Size        int     `json:"size"`
	Ms          float64 `json:"ms"`
}

func (e clientEv) String() string { b, _ := json.Marshal(e); return string(b) }

type chaosClient struct{ *proc }

// startChaosClient runs chaos-client.js against url with cfg's options.
func startChaosClient(t *testing.T, url string, cfg map[string]any) *chaosClient {
	t.Helper()
	c := map[string]any{"url": url}
	for k, v := range cfg {
		c[k] = v
	}
	b, _ := json.Marshal(c)
	return &chaosClient{startProc(t, "chaos-client.js", e2eDir, nodeBin, filepath.Join("node", "chaos-client.js"), string(b))}
}

func (c *chaosClient) events() []clientEv {
	var out []clientEv
	for _, l := range c.stdout.all() {
		var e clientEv
		if json.Unmarshal([]byte(l), &e) == nil && e.Ev != "" {
			out = append(out, e)
		}
	}
	return out
}

// wait waits for the n-th client line matching cond and returns it.
func (c *chaosClient) wait(t *testing.T, what string, n int, cond func(clientEv) bool) clientEv {
	t.Helper()
	var hit clientEv
	ok := c.stdout.waitFor(faultTimeout, func(lines []string) bool {
		k := 0
		for _, l := range lines {
			var e clientEv
			if json.Unmarshal([]byte(l), &e) == nil && cond(e) {
				if k++; k == n {
					hit = e
					return true
				}
			}
		}
		return false
	})
	if !ok {
		var seen []string
		for _, e := range c.events() {
			seen = append(seen, e.String())
		}
		t.Fatalf("the client never reported %s within %v; it reported:\n  %s\n%s", what, faultTimeout, strings.Join(seen, "\n  "), c.describe())
	}
	return hit
}

func clientIs(ev string) func(clientEv) bool { return func(e clientEv) bool { return e.Ev == ev } }

// disconnectWith matches a disconnect with that reason.
func disconnectWith(reason string) func(clientEv) bool {
	return func(e clientEv) bool { return e.Ev == "disconnect" && e.Reason == reason }
}

// expectInjectLine waits for sioproxy's "inject" line of rule with action.
func expectInjectLine(t *testing.T, px *sioproxy, rule, action string) event.Event {
	t.Helper()
	cond := func(e event.Event) bool {
		return e.Kind == event.KindInject && e.Rule == rule && (action == "" || e.Action == action)
	}
	i := expectWire(t, px, fmt.Sprintf("an inject line for %s (%s)", rule, action), cond)
	if i < 0 {
		t.FailNow()
	}
	return px.events(t)[i]
}

// expectInjectedFault waits for the fault and checks it names the rule.
func expectInjectedFault(t *testing.T, px *sioproxy, rule string, w faultWant) {
	t.Helper()
	w.summary = append(w.summary, regexp.QuoteMeta("injected by --inject "+rule))
	e, _ := expectFault(t, px, w)
	if e == nil {
		return
	}
	if want := "--inject " + rule; !strings.Contains(e.Fault.Injected, want) {
		t.Errorf("%s: fault.injected = %q, want it to name %q: %s", w, e.Fault.Injected, want, brief(*e))
	}
}

func TestInject(t *testing.T) {
	needProxy(t)
	for _, sc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"no-upgrade", injectNoUpgrade},
		{"no-upgrade-websocket-only", func(t *testing.T) { injectNoUpgradeWSOnly(t) }},
		{"swallow-probe", injectSwallowProbe},
		{"drop-pongs", func(t *testing.T) { injectDropPongs(t, "websocket") }},
		{"drop-pongs-polling", func(t *testing.T) { injectDropPongs(t, "polling") }},
		{"drop-pings", func(t *testing.T) { injectDropPings(t, "websocket") }},
		{"drop-pings-polling", func(t *testing.T) { injectDropPings(t, "polling") }},
		{"cut-ws", injectCutWS},
		{"cut-ws-close", injectCutWSClose},
		{"cut-poll", injectCutPoll},
		{"fail-polls", injectFailPolls},
		{"fail-polls-503", injectFailPolls503},
		{"strip-cors", injectStripCORS},
		{"reroute-sid", injectRerouteSid},
		{"delay", injectDelay},
		{"bandwidth", injectBandwidth},
		{"loss-websocket", injectLossWS},
		{"loss-polling", injectLossPolling},
		{"corrupt", func(t *testing.T) { injectCorrupt(t, "websocket") }},
		{"corrupt-polling", func(t *testing.T) { injectCorrupt(t, "polling") }},
		{"oversize-websocket", func(t *testing.T) { injectOversize(t, "websocket") }},
		{"oversize-polling", func(t *testing.T) { injectOversize(t, "polling") }},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// nginx without `proxy_set_header Upgrade`: the client stays on polling.
func injectNoUpgrade(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	px := startProxy(t, srv.url, "--inject", "no-upgrade", "--record", rec)
	c := startChaosClient(t, px.url, map[string]any{"chatter": 200})
	con := c.wait(t, "a connect", 1, clientIs("connect"))
	if con.Transport != "polling" {
		t.Errorf("connected over %q, want polling first", con.Transport)
	}
	c.wait(t, "an upgradeError (the WebSocket probe failed)", 1, clientIs("upgradeError"))
	c.wait(t, "acks over polling after the failed upgrade", 3, clientIs("ack"))
	if i := slices.IndexFunc(c.events(), clientIs("upgrade")); i >= 0 {
		t.Errorf("the client upgraded although the Upgrade header was stripped: %v", c.events()[i])
	}
	expectInjectLine(t, px, "no-upgrade", "stripped")
	expectWire(t, px, "the WebSocket request answered 400", httpLine("GET", 400, "transport=websocket"))
	expectInjectedFault(t, px, "no-upgrade", faultWant{catalog: []string{"D1"}, code: []string{"upgrade_headers_stripped"}})
	// The recording marks it too (it is complete once sioproxy stopped).
	px.stop()
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"kind":"inject",`) || !strings.Contains(string(b), `"rule":"no-upgrade","action":"stripped"`) {
		t.Errorf("the recording has no inject line for no-upgrade:\n%.2000s", b)
	}
	if !strings.Contains(strings.Join(px.stderr.all(), "\n"), "injecting faults: no-upgrade") {
		t.Errorf("stderr does not say which rules are on:\n%s", px.describe())
	}
}

// A WebSocket-only client behind the same proxy cannot connect at all.
// proxyArgs stage the rule (default --inject no-upgrade).
func injectNoUpgradeWSOnly(t *testing.T, proxyArgs ...string) {
	if len(proxyArgs) == 0 {
		proxyArgs = []string{"--inject", "no-upgrade"}
	}
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, proxyArgs...)
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
	e := c.wait(t, "a connect_error", 1, clientIs("connect_error"))
	if e.Message != "websocket error" {
		t.Errorf("connect_error %q, want \"websocket error\"", e.Message)
	}
	expectInjectLine(t, px, "no-upgrade", "stripped")
	expectInjectedFault(t, px, "no-upgrade", faultWant{catalog: []string{"D1"}, code: []string{"upgrade_headers_stripped"}})
}

// A middlebox that lets the WebSocket open but buffers its frames: 3probe
// never arrives, the server gives up after upgradeTimeout, the client
// stays on polling.
func injectSwallowProbe(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "swallow-probe")
	c := startChaosClient(t, px.url, map[string]any{"chatter": 200})
	c.wait(t, "a connect", 1, clientIs("connect"))
	c.wait(t, "an upgradeError (the probe socket closed)", 1, clientIs("upgradeError"))
	c.wait(t, "acks over polling after the failed upgrade", 5, clientIs("ack"))
	if i := slices.IndexFunc(c.events(), clientIs("upgrade")); i >= 0 {
		t.Errorf("the client upgraded although 3probe was swallowed: %v", c.events()[i])
	}
	expectInjectLine(t, px, "swallow-probe", "dropped")
	expectWire(t, px, "the dropped 3probe, shown and marked", func(e event.Event) bool {
		return e.Kind == event.KindPacket && e.Engine == "pong" && e.Data == "probe" && e.Dir == "s2c" &&
			e.Active != nil && e.Active.Dropped && slices.Contains(e.Active.Rules, "--inject swallow-probe")
	})
	expectInjectedFault(t, px, "swallow-probe", faultWant{catalog: []string{"D2"}, code: []string{"upgrade_probe_unanswered"}})
}

// A frozen tab: pongs never reach the server, which closes the session
// ("ping timeout"); the client sees the transport close and reconnects.
func injectDropPongs(t *testing.T, transport string) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "drop-pongs")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{transport}})
	first := c.wait(t, "a connect", 1, clientIs("connect"))
	// The server closes the session: the socket closes, or (polling) the
	// pending GET is answered with a close packet.
	c.wait(t, `a disconnect "transport close"`, 1, disconnectWith("transport close"))
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "drop-pongs", "dropped")
	expectWire(t, px, "the session closed by ping timeout", func(e event.Event) bool {
		return sessionLine("close", first.Sid)(e) && e.Reason == "ping timeout"
	})
	expectInjectedFault(t, px, "drop-pongs", faultWant{catalog: []string{"F1"}, code: []string{"pong_missing"}, sid: first.Sid})
}

// Pings lost on the way: the client gives up first ("ping timeout").
func injectDropPings(t *testing.T, transport string) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "drop-pings")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{transport}})
	first := c.wait(t, "a connect", 1, clientIs("connect"))
	c.wait(t, `a disconnect "ping timeout"`, 1, disconnectWith("ping timeout"))
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "drop-pings", "dropped")
	expectInjectedFault(t, px, "drop-pings", faultWant{catalog: []string{"F1"}, code: []string{"ping_missing", "pong_missing"}, sid: first.Sid})
}

// An ALB-style idle timeout: every WebSocket is cut at the same age with
// no close frame; after three, sioproxy names the constant.
func injectCutWS(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "cut-ws=2500ms")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
	c.wait(t, `a disconnect "transport close"`, 1, disconnectWith("transport close"))
	c.wait(t, `three disconnects "transport close"`, 3, disconnectWith("transport close"))
	expectInjectLine(t, px, "cut-ws=2.5s", "cut")
	expectInjectedFault(t, px, "cut-ws=2.5s", faultWant{catalog: []string{"F2"}, code: []string{"closes_at_constant_age"}, summary: []string{`2\.5`}})
}

// The same cut with close frames (code 1001): still "transport close".
func injectCutWSClose(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "cut-ws=2s:close")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
	first := c.wait(t, "a connect", 1, clientIs("connect"))
	c.wait(t, `a disconnect "transport close"`, 1, disconnectWith("transport close"))
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "cut-ws=2s:close", "cut")
	expectWire(t, px, "the session closed with code 1001", func(e event.Event) bool {
		return sessionLine("close", first.Sid)(e) && e.Code == 1001
	})
}

// A proxy_read_timeout below pingInterval: every long-poll is cut with a
// 504 and the client reconnects ("transport error", xhr poll error).
func injectCutPoll(t *testing.T) {
	srv := startServer(t, fastServer(map[string]any{"pingInterval": 4000, "pingTimeout": 2000}))
	px := startProxy(t, srv.url, "--inject", "cut-poll=1500ms:504")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}})
	c.wait(t, "a connect", 1, clientIs("connect"))
	d := c.wait(t, `a disconnect "transport error"`, 1, disconnectWith("transport error"))
	if d.Description != "504" {
		t.Errorf("disconnect description %q, want the 504 status", d.Description)
	}
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "cut-poll=1.5s:504", "cut")
	expectWire(t, px, "a long-poll answered 504", httpLine("GET", 504, "transport=polling"))
	expectInjectedFault(t, px, "cut-poll=1.5s:504", faultWant{catalog: []string{"F2"}, code: []string{"poll_cut_by_intermediary"}, summary: []string{"below pingInterval"}})
}

// A balancer answering "Session ID unknown" on every third request.
func injectFailPolls(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "fail-polls=400:1/5")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}, "chatter": 100})
	c.wait(t, "a connect", 1, clientIs("connect"))
	c.wait(t, `a disconnect "transport error"`, 1, disconnectWith("transport error"))
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "fail-polls=400:1/5", "failed")
	expectInjectedFault(t, px, "fail-polls=400:1/5", faultWant{catalog: []string{"C1"}, code: []string{"session_unknown_live"}})
}

// A 503 from the balancer: the client's poll fails and it reconnects.
func injectFailPolls503(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "fail-polls=503/4")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}, "chatter": 100})
	c.wait(t, "a connect", 1, clientIs("connect"))
	d := c.wait(t, `a disconnect "transport error"`, 1, disconnectWith("transport error"))
	if d.Description != "503" {
		t.Errorf("disconnect description %q, want 503", d.Description)
	}
	c.wait(t, "a reconnection", 2, clientIs("connect"))
	expectInjectLine(t, px, "fail-polls=503/4", "failed")
	expectInjectedFault(t, px, "fail-polls=503/4", faultWant{catalog: []string{"J"}, code: []string{"session_abnormal_end"}, summary: []string{"transport error"}})
}

// CORS headers lost in the path. A Node client does not enforce CORS (a
// browser would fail with xhr poll error), so the check is the diagnosis
// on a cross-origin request whose answer lost its ACAO.
func injectStripCORS(t *testing.T) {
	srv := startServer(t, fastServer(map[string]any{"cors": map[string]any{"origin": "http://app.example"}}))
	px := startProxy(t, srv.url, "--inject", "strip-cors")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}, "extraHeaders": map[string]string{"Origin": "http://app.example"}})
	c.wait(t, "a connect", 1, clientIs("connect"))
	expectInjectLine(t, px, "strip-cors", "stripped")
	expectInjectedFault(t, px, "strip-cors", faultWant{catalog: []string{"B1"}, code: []string{"cors_allow_origin_missing"}})
}

// A balancer without sticky sessions: the session's requests go to the
// other node, which answers 400 "Session ID unknown".
func injectRerouteSid(t *testing.T) {
	a, b := startServer(t, fastServer(nil)), startServer(t, fastServer(nil))
	px := startProxy(t, a.url, "--target", b.url, "--balance", "sticky", "--inject", "reroute-sid")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}})
	c.wait(t, "a connect_error or disconnect (the session is unknown on the other node)", 1, func(e clientEv) bool {
		return e.Ev == "connect_error" || e.Ev == "disconnect"
	})
	expectInjectLine(t, px, "reroute-sid", "rerouted")
	expectInjectedFault(t, px, "reroute-sid", faultWant{catalog: []string{"C2"}, code: []string{"sid_routed_to_other_upstream"}})
	expectInjectedFault(t, px, "reroute-sid", faultWant{catalog: []string{"C1"}, code: []string{"session_unknown_live"}})
}

// A slow uplink: client→server latency above pingTimeout makes every pong
// late, so the server closes with "ping timeout". (sioproxy observes each
// direction where it delivers: with a client→server delay it sees what the
// server sees, so the server's timeout is diagnosed as such.)
func injectDelay(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "delay=c2s:1500ms±100ms")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
	first := c.wait(t, "a connect", 1, clientIs("connect"))
	c.wait(t, `a disconnect "transport close"`, 1, disconnectWith("transport close"))
	expectInjectLine(t, px, "delay=c2s:1.5s±100ms", "delayed")
	expectWire(t, px, "the session closed by ping timeout", func(e event.Event) bool {
		return sessionLine("close", first.Sid)(e) && e.Reason == "ping timeout"
	})
	expectInjectedFault(t, px, "delay=c2s:1.5s±100ms", faultWant{catalog: []string{"F1"}, code: []string{"pong_missing"}, sid: first.Sid})
}

// A narrow link: big messages take longer than small ones in the same run.
func injectBandwidth(t *testing.T) {
	srv := startServer(t, fastServer(map[string]any{"pingInterval": 5000, "pingTimeout": 5000}))
	px := startProxy(t, srv.url, "--inject", "bandwidth=40KB")
	small := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}, "chatter": 100})
	big := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}, "chatter": 100, "chatterSize": 8000})
	s := small.wait(t, "five acks of small ticks", 5, clientIs("ack"))
	bg := big.wait(t, "five acks of 8 KB ticks", 5, clientIs("ack"))
	// 8 KB each way at 40 KB/s is 400 ms; a small tick is far quicker.
	// Compared within one run, never against a fixed time.
	if bg.Ms < 2*s.Ms {
		t.Errorf("an 8 KB round trip took %.1f ms, a small one %.1f ms: bandwidth=40KB should slow the big one down", bg.Ms, s.Ms)
	}
	expectInjectLine(t, px, "bandwidth=40000B/s", "throttled")
}

// Packet loss on WebSocket is retransmission delay: with every message
// lost up to five times the heartbeat breaks.
func injectLossWS(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "loss=100%")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
	c.wait(t, "a disconnect or connect_error", 1, func(e clientEv) bool {
		return (e.Ev == "disconnect" && (e.Reason == "ping timeout" || e.Reason == "transport close")) || e.Ev == "connect_error"
	})
	expectInjectLine(t, px, "loss=100%", "delayed")
	expectInjectedFault(t, px, "loss=100%", faultWant{catalog: []string{"F1"}})
}

// Packet loss on polling fails requests: the client reconnects.
func injectLossPolling(t *testing.T) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "loss=30%")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{"polling"}, "chatter": 100})
	c.wait(t, "a connect", 1, clientIs("connect"))
	d := c.wait(t, `a disconnect "transport error"`, 1, disconnectWith("transport error"))
	if d.Description != "0" && d.Description != "" {
		t.Logf("disconnect description %q", d.Description)
	}
	expectInjectLine(t, px, "loss=30%", "failed")
	expectInjectedFault(t, px, "loss=30%", faultWant{catalog: []string{"J"}, code: []string{"session_abnormal_end"}, summary: []string{"transport error"}})
}

// A corrupted Socket.IO packet: the receiving parser refuses it and the
// connection ends.
func injectCorrupt(t *testing.T, transport string) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "corrupt=100%")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{transport}, "reconnection": false})
	c.wait(t, "a connect_error or disconnect", 1, func(e clientEv) bool {
		return e.Ev == "connect_error" || e.Ev == "disconnect"
	})
	expectInjectLine(t, px, "corrupt=100%", "corrupted")
	expectInjectedFault(t, px, "corrupt=100%", faultWant{catalog: []string{"G4"}, code: []string{"parse_error"}})
}

// maxHttpBufferSize in the path: 413 on polling, close 1009 on WebSocket.
func injectOversize(t *testing.T, transport string) {
	srv := startServer(t, fastServer(nil))
	px := startProxy(t, srv.url, "--inject", "oversize=1000")
	c := startChaosClient(t, px.url, map[string]any{"transports": []string{transport}, "big": 5000, "reconnection": false})
	c.wait(t, "a connect", 1, clientIs("connect"))
	want := "transport close"
	if transport == "polling" {
		want = "transport error"
	}
	c.wait(t, `a disconnect "`+want+`"`, 1, disconnectWith(want))
	expectInjectLine(t, px, "oversize=1000", "refused")
	if transport == "polling" {
		expectWire(t, px, "the big POST answered 413", httpLine("POST", 413, "transport=polling"))
	} else {
		expectWire(t, px, "the session closed with 1009", func(e event.Event) bool {
			return e.Kind == event.KindSession && e.Action == "close" && e.Code == 1009
		})
	}
	expectInjectedFault(t, px, "oversize=1000", faultWant{catalog: []string{"H1"}, code: []string{"payload_too_large"}})
}
