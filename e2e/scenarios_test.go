package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// scenario is one issue-3 end-to-end case: a server configuration, a
// client.js scenario, and what sioproxy must additionally show.
type scenario struct {
	name   string
	server map[string]any
	client string         // client.js scenario name
	opts   map[string]any // extra client.js options
	eio    int
	// transports: "upgrade" (every session polls then upgrades, with
	// packets on both), "polling", "websocket", or "per-session" (each
	// session stays on one transport, both transports used overall).
	transports string
	check      func(t *testing.T, run *proxiedRun)
	// faults are the fault codes the scenario provokes on purpose; any
	// other fault, decode error or drop fails it.
	faults []string
}

var namespacedServer = map[string]any{"namespaces": []map[string]any{{"name": "/admin", "token": "secret"}, {"name": "/chat"}}}

func scenarios() []scenario {
	return []scenario{
		{name: "default-transports", client: "default", eio: 4, transports: "upgrade"},
		{name: "polling-bursts", client: "polling", eio: 4, transports: "polling", check: checkMultiPacketPayloads},
		{name: "websocket-only", client: "websocket", eio: 4, transports: "websocket"},
		{name: "binary", client: "binary", eio: 4, transports: "per-session", check: checkBinaryBothTransports},
		{name: "namespaces-auth", server: namespacedServer, client: "namespaces", eio: 4, transports: "any", check: checkNamespaces,
			faults: []string{"middleware_refused", "namespace_invalid"}},
		{name: "acks-both-ways", client: "acks", eio: 4, transports: "any"},
		{name: "unicode-emoji", client: "unicode", eio: 4, transports: "upgrade"},
		{name: "permessage-deflate", server: map[string]any{"perMessageDeflate": map[string]any{"threshold": 0}}, client: "deflate", eio: 4, transports: "websocket", check: checkDeflateNegotiated},
		{name: "eio3-client", server: map[string]any{"allowEIO3": true, "namespaces": []map[string]any{{"name": "/admin", "token": "secret"}}}, client: "eio3", eio: 3, transports: "upgrade"},
		{name: "200-concurrent-clients", client: "concurrent", opts: map[string]any{"clients": 200}, eio: 4, transports: "any", check: checkSessionCount(200)},
	}
}

// TestReverseProxyScenarios runs each scenario once directly and once
// through sioproxy, and checks that the app saw the same results, that both
// Node sides agree packet for packet, and that sioproxy's --json output
// holds exactly those packets.
func TestReverseProxyScenarios(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc)
		})
	}
}

// proxiedRun is what a scenario's checks look at.
type proxiedRun struct {
	sc     scenario
	server *nodeServer
	proxy  *sioproxy
	client *clientRun
	events []event.Event
}

func runScenario(t *testing.T, sc scenario) {
	cfg := map[string]any{}
	for k, v := range sc.server {
		cfg[k] = v
	}
	srv := startServer(t, cfg)

	direct := runClient(t, srv.url, sc.client, sc.opts)
	checkNodeSidesAgree(t, "direct", srv, direct)
	checkNodeEIO(t, direct, sc.eio)

	px := startProxy(t, srv.url)
	via := runClient(t, px.url, sc.client, sc.opts)
	if d, p := canonJSON(direct.results), canonJSON(via.results); d != p {
		t.Errorf("the app saw different results through sioproxy:\n  direct: %.2000s\n  proxied: %.2000s", d, p)
	}
	checkNodeSidesAgree(t, "through sioproxy", srv, via)

	want := nodeFlows(via.packets)
	closed := func(evs []event.Event) bool {
		seen := map[string]bool{}
		for _, e := range evs {
			if e.Kind == event.KindSession && e.Action == "close" {
				seen[e.Sid] = true
			}
		}
		for sid := range via.sids {
			if !seen[sid] {
				return false
			}
		}
		return true
	}
	evs, _ := px.waitEvents(t, settleTimeout, func(evs []event.Event) bool {
		return diffFlows("node", want, "sioproxy", proxyFlows(evs)) == "" && closed(evs)
	})
	evs = px.events(t) // the final state, with bad lines reported
	if d := diffFlows("node", want, "sioproxy", proxyFlows(evs)); d != "" {
		t.Errorf("sioproxy's Socket.IO packets differ from what the Node sides sent and received:\n%s", d)
	}
	run := &proxiedRun{sc: sc, server: srv, proxy: px, client: via, events: evs}
	checkSessions(t, run)
	checkPacketLines(t, run)
	checkAckPairs(t, evs)
	checkFaults(t, evs, sc.faults)
	if sc.check != nil {
		sc.check(t, run)
	}
	if t.Failed() {
		t.Logf("%s", px.describe())
	}
}

// checkNodeSidesAgree: what the client sent the server received and the
// other way round, per session, in order. This validates the harness itself,
// and, through sioproxy, that the relay delivered every packet.
func checkNodeSidesAgree(t *testing.T, how string, srv *nodeServer, run *clientRun) {
	t.Helper()
	want := nodeFlows(run.packets)
	var got map[flowKey][]pkt
	srv.stdout.waitFor(settleTimeout, func([]string) bool {
		got = nodeFlows(srv.packets(t, run.sids))
		return diffFlows("client.js", want, "server.js", got) == ""
	})
	if d := diffFlows("client.js", want, "server.js", got); d != "" {
		t.Errorf("%s: the client's and server's packet logs disagree:\n%s", how, d)
	}
}

func checkNodeEIO(t *testing.T, run *clientRun, eio int) {
	t.Helper()
	for _, p := range run.packets {
		if p.EIO != eio {
			t.Errorf("direct run: client.js logged EIO %d, the scenario expects %d: %+v", p.EIO, eio, p)
			return
		}
	}
}

// sessionEvents groups sioproxy's session lines by sid and action.
func sessionEvents(evs []event.Event) map[string]map[string][]event.Event {
	out := map[string]map[string][]event.Event{}
	for _, e := range evs {
		if e.Kind != event.KindSession {
			continue
		}
		if out[e.Sid] == nil {
			out[e.Sid] = map[string][]event.Event{}
		}
		out[e.Sid][e.Action] = append(out[e.Sid][e.Action], e)
	}
	return out
}

// checkSessions: every session the client had is opened, upgraded when the
// scenario upgrades, and closed by the client, each exactly once.
func checkSessions(t *testing.T, run *proxiedRun) {
	t.Helper()
	sessions := sessionEvents(run.events)
	for sid := range run.client.sids {
		s := sessions[sid]
		if len(s["open"]) != 1 {
			t.Errorf("sid %q: want 1 session open line, got %d", sid, len(s["open"]))
		} else if s["open"][0].EIO != run.sc.eio {
			t.Errorf("sid %q: session open line has eio %d, want %d", sid, s["open"][0].EIO, run.sc.eio)
		}
		switch run.sc.transports {
		case "upgrade":
			if len(s["upgrade"]) != 1 {
				t.Errorf("sid %q: want 1 session upgrade line, got %d", sid, len(s["upgrade"]))
			}
		case "polling", "websocket", "per-session":
			if len(s["upgrade"]) != 0 {
				t.Errorf("sid %q: no upgrade happened, but sioproxy logged %d session upgrade lines", sid, len(s["upgrade"]))
			}
		}
		if len(s["close"]) != 1 {
			t.Errorf("sid %q: want 1 session close line, got %d", sid, len(s["close"]))
		} else if c := s["close"][0]; c.By != "client" {
			t.Errorf("sid %q: the client closed the session, but the close line says by=%q reason=%q code=%d", sid, c.By, c.Reason, c.Code)
		}
	}
	for sid := range sessions {
		if !run.client.sids[sid] {
			t.Errorf("sioproxy logged session lines for sid %q, which no client had: %v", sid, actions(sessions[sid]))
		}
	}
}

func actions(m map[string][]event.Event) []string {
	var out []string
	for a, evs := range m {
		out = append(out, fmt.Sprintf("%s×%d", a, len(evs)))
	}
	return out
}

// checkPacketLines: every packet line names its session, direction and
// engine type, carries the scenario's EIO version, and travelled on the
// transports the scenario uses.
func checkPacketLines(t *testing.T, run *proxiedRun) {
	t.Helper()
	perSid := map[string]map[string]int{} // sid → transport → Socket.IO packets
	bad := 0
	for _, e := range run.events {
		if e.Kind != event.KindPacket {
			continue
		}
		var problems []string
		if e.Sid == "" {
			problems = append(problems, "no sid")
		}
		if e.Dir != "c2s" && e.Dir != "s2c" {
			problems = append(problems, fmt.Sprintf("dir %q", e.Dir))
		}
		if e.EIO != run.sc.eio {
			problems = append(problems, fmt.Sprintf("eio %d, want %d", e.EIO, run.sc.eio))
		}
		if e.Engine == "" {
			problems = append(problems, "no engine type")
		}
		if e.Transport != "polling" && e.Transport != "websocket" {
			problems = append(problems, fmt.Sprintf("transport %q", e.Transport))
		}
		if len(problems) > 0 {
			if bad++; bad <= 5 {
				t.Errorf("packet line %s: %s", brief(e), strings.Join(problems, ", "))
			}
			continue
		}
		if e.Type != "" {
			if perSid[e.Sid] == nil {
				perSid[e.Sid] = map[string]int{}
			}
			perSid[e.Sid][e.Transport]++
		}
	}
	if bad > 5 {
		t.Errorf("… and %d more bad packet lines", bad-5)
	}
	used := map[string]bool{}
	for sid := range run.client.sids {
		n := perSid[sid]
		switch run.sc.transports {
		case "upgrade":
			if n["polling"] == 0 || n["websocket"] == 0 {
				t.Errorf("sid %q: want Socket.IO packets on polling and on websocket, got %v", sid, n)
			}
		case "polling", "websocket":
			if len(n) != 1 || n[run.sc.transports] == 0 {
				t.Errorf("sid %q: want Socket.IO packets on %s only, got %v", sid, run.sc.transports, n)
			}
		case "per-session":
			if len(n) != 1 {
				t.Errorf("sid %q: want Socket.IO packets on one transport, got %v", sid, n)
			}
		}
		for tr := range n {
			used[tr] = true
		}
	}
	if run.sc.transports == "per-session" && (!used["polling"] || !used["websocket"]) {
		t.Errorf("want sessions on both transports, got %v", used)
	}
}

// checkAckPairs: every ACK answers an earlier EVENT with its id in the other
// direction, on the same session and namespace, and carries its latency
// and the name of the EVENT it answers.
func checkAckPairs(t *testing.T, evs []event.Event) {
	t.Helper()
	type key struct{ sid, dir, nsp, id string }
	pending := map[key]string{}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 5 {
			t.Errorf(format, args...)
		}
	}
	for _, e := range evs {
		if e.Kind != event.KindPacket || e.ID == nil {
			continue
		}
		p := fromEvent(e)
		switch e.Type {
		case "EVENT", "BINARY_EVENT":
			pending[key{e.Sid, e.Dir, p.Nsp, p.ID}] = e.Event
		case "ACK", "BINARY_ACK":
			other := "c2s"
			if e.Dir == "c2s" {
				other = "s2c"
			}
			k := key{e.Sid, other, p.Nsp, p.ID}
			name, ok := pending[k]
			if !ok {
				report("%s: no earlier %s EVENT with ack id %s", brief(e), other, p.ID)
			} else if e.AckEvent != name {
				report("%s: ack_event %q, want %q (the EVENT it answers)", brief(e), e.AckEvent, name)
			}
			delete(pending, k)
			if e.AckMs == nil || *e.AckMs < 0 {
				report("%s: ack_ms missing or negative (the paired ack latency)", brief(e))
			}
		}
	}
	for k := range pending {
		report("sid %q: %s EVENT with ack id %s on %s was never acked in sioproxy's output", k.sid, k.dir, k.id, k.nsp)
	}
}

// checkNoFaults: healthy traffic must raise no fault, decode error or drop.
func checkNoFaults(t *testing.T, evs []event.Event) { checkFaults(t, evs, nil) }

// checkFaults: the expected fault codes were each reported, and nothing
// else was: a false alarm is as much a bug as a miss.
func checkFaults(t *testing.T, evs []event.Event, want []string) {
	t.Helper()
	expected := map[string]bool{}
	for _, c := range want {
		expected[c] = false
	}
	n := 0
	for _, e := range evs {
		if e.Kind == event.KindFault && e.Fault != nil {
			if _, ok := expected[e.Fault.Code]; ok {
				expected[e.Fault.Code] = true
				continue
			}
		}
		switch e.Kind {
		case event.KindFault, event.KindError, event.KindDrop:
			if n++; n <= 5 {
				b, _ := json.Marshal(e)
				t.Errorf("healthy traffic, but sioproxy reported a %s: %.600s", e.Kind, b)
			}
		}
	}
	for code, seen := range expected {
		if !seen {
			t.Errorf("sioproxy did not report the expected fault %s", code)
		}
	}
}

func brief(e event.Event) string {
	b, _ := json.Marshal(e)
	s := string(b)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// checkMultiPacketPayloads: with bursts, some polls carried several
// Engine.IO packets in one payload, in each direction.
func checkMultiPacketPayloads(t *testing.T, run *proxiedRun) {
	t.Helper()
	var posts, gets, c2s, s2c int
	for _, e := range run.events {
		switch {
		case e.Kind == event.KindHTTP && strings.Contains(e.Path, "transport=polling") && strings.Contains(e.Path, "sid="):
			switch e.Method {
			case "POST":
				posts++
			case "GET":
				gets++
			}
		case e.Kind == event.KindPacket && e.Transport == "polling" && e.Sid != "":
			if e.Dir == "c2s" {
				c2s++
			} else if e.Engine != "open" { // the handshake GET has no sid
				s2c++
			}
		}
	}
	if posts == 0 || c2s <= posts {
		t.Errorf("want more client packets (%d) than POSTs (%d): some POST payload should carry several packets, or http lines are missing", c2s, posts)
	}
	if gets == 0 || s2c <= gets {
		t.Errorf("want more server packets (%d) than GETs with a sid (%d): some GET payload should carry several packets, or http lines are missing", s2c, gets)
	}
}

// checkBinaryBothTransports: binary events and acks went both ways on both
// transports.
func checkBinaryBothTransports(t *testing.T, run *proxiedRun) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range run.events {
		if e.Kind == event.KindPacket && strings.HasPrefix(e.Type, "BINARY_") {
			seen[e.Transport+" "+e.Dir+" "+e.Type] = true
			if e.Attachments == 0 {
				t.Errorf("%s: a binary packet with attachments 0", brief(e))
			}
			if !strings.Contains(string(e.Args), `"_binary"`) {
				t.Errorf("%s: binary packet args hold no {\"_binary\":…} attachment", brief(e))
			}
		}
	}
	for _, tr := range []string{"polling", "websocket"} {
		for _, d := range []string{"c2s", "s2c"} {
			for _, ty := range []string{"BINARY_EVENT", "BINARY_ACK"} {
				if !seen[tr+" "+d+" "+ty] {
					t.Errorf("no %s %s on %s in sioproxy's output", d, ty, tr)
				}
			}
		}
	}
}

// checkNamespaces: the refused CONNECTs appear as CONNECT_ERROR packets.
func checkNamespaces(t *testing.T, run *proxiedRun) {
	t.Helper()
	var errs []string
	nsps := map[string]bool{}
	for _, e := range run.events {
		if e.Kind != event.KindPacket || e.Type == "" {
			continue
		}
		nsps[e.Nsp] = true
		if e.Type == "CONNECT_ERROR" {
			errs = append(errs, e.Nsp+" "+canonJSON(e.Args))
		}
	}
	for _, n := range []string{"/", "/admin", "/chat", "/nope"} {
		if !nsps[n] {
			t.Errorf("no Socket.IO packet on namespace %q in sioproxy's output", n)
		}
	}
	want := []string{`/admin {"data":{"reason":"bad token"},"message":"unauthorized"}`, `/nope {"message":"Invalid namespace"}`}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("CONNECT_ERROR packets:\n got %q\nwant %q", errs, want)
	}
}

func checkSessionCount(n int) func(*testing.T, *proxiedRun) {
	return func(t *testing.T, run *proxiedRun) {
		t.Helper()
		if len(run.client.sids) != n {
			t.Errorf("client.js logged %d sessions, want %d", len(run.client.sids), n)
		}
	}
}
