package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// TestFaults runs the Node-only fault scenarios: a socket.io 4.8 (or 2.5)
// server from npm configured wrongly, or a client that misbehaves, behind
// sioproxy, and the fault sioproxy must name.
func TestFaults(t *testing.T) {
	needProxy(t)
	for _, sc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"round-robin-two-nodes", faultRoundRobin},
		{"allow-request-refuses", faultAllowRequest},
		{"eio3-client-without-allowEIO3", faultEIO3Client},
		{"v4-client-v2-server", faultV2Server},
		{"max-http-buffer-size-polling", func(t *testing.T) { faultMaxBuffer(t, "polling", `\b413\b`) }},
		{"max-http-buffer-size-websocket", func(t *testing.T) { faultMaxBuffer(t, "websocket") }},
		{"client-stops-answering-pings", faultNoPong},
		{"unknown-namespace", faultUnknownNamespace},
		{"middleware-refusal", faultMiddleware},
		{"wrong-path", faultWrongPath},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// Two socket.io nodes behind a balancer without affinity: the handshake
// goes to one node, the next request of that sid to the other, which
// answers 400 "Session ID unknown". C2 must be reported before that 400.
func faultRoundRobin(t *testing.T) {
	a, b := startServer(t, nil), startServer(t, nil)
	px := startProxy(t, a.url, "--target", b.url, "--balance", "round-robin")
	r := runFaultClient(t, px.url, "connect", map[string]any{"transports": []string{"polling"}})
	wantConnectError(t, r, `xhr (post|poll) error`)
	sid := r.Sid
	if sid == "" {
		sid = sessionSid(t, px)
	}
	bad := expectWire(t, px, "a polling request of sid "+sid+" answered 400", func(e event.Event) bool {
		return httpLine("", 400, "sid="+sid)(e)
	})
	_, c2 := expectFault(t, px, faultWant{catalog: []string{"C2"}, code: []string{"sid_routed_to_other_upstream"}, sid: sid,
		summary: []string{regexp.QuoteMeta(sid), regexp.QuoteMeta(hostOf(a.url)), regexp.QuoteMeta(hostOf(b.url))}})
	if c2 >= 0 && bad >= 0 && c2 > bad {
		t.Errorf("C2 was reported at line %d, after the 400 at line %d: it must fire before the 400 arrives", c2+1, bad+1)
	}
	expectFault(t, px, faultWant{catalog: []string{"C1"}, code: []string{"session_unknown_live"}, sid: sid,
		summary: []string{regexp.QuoteMeta(sid), "Session ID unknown", regexp.QuoteMeta(hostOf(a.url)), regexp.QuoteMeta(hostOf(b.url))}})
	expectOnlyFaults(t, px, "C2", "C1")
}

// allowRequest says no: 403 {"code":4,"message":"refused by allowRequest"}.
func faultAllowRequest(t *testing.T) {
	srv := startServer(t, map[string]any{"refuseRequests": true})
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "connect", map[string]any{"transports": []string{"polling"}})
	wantConnectError(t, r, `xhr poll error`)
	expectWire(t, px, "the handshake answered 403", httpLine("GET", 403, "EIO=4"))
	expectFault(t, px, faultWant{catalog: []string{"A"}, code: []string{"handshake_forbidden"}, summary: []string{`\b403\b`, "refused by allowRequest"}, evidence: []string{`"code":4\b`}})
	expectOnlyFaults(t, px, "A")
}

// socket.io-client 2.5 (Engine.IO v3) against a v4 server without
// allowEIO3: 400 {"code":5,"message":"Unsupported protocol version"}.
func faultEIO3Client(t *testing.T) {
	srv := startServer(t, nil)
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "v2", map[string]any{"transports": []string{"polling"}})
	if r.Connected {
		t.Fatalf("an EIO3 client connected to a server without allowEIO3: %s", r)
	}
	expectWire(t, px, "the EIO=3 handshake answered 400", httpLine("GET", 400, "EIO=3"))
	expectFault(t, px, faultWant{catalog: []string{"E1"}, code: []string{"eio3_client_rejected"}, summary: []string{`EIO=3`, `unsupported protocol version`}})
	expectOnlyFaults(t, px, "E1")
}

// A v4 client against socket.io@2: the server answers the EIO=4 handshake
// in v3 framing and the client gives up.
func faultV2Server(t *testing.T) {
	srv := startServer(t, map[string]any{"version": 2})
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "connect", map[string]any{"transports": []string{"polling"}})
	if r.Connected {
		t.Fatalf("a v4 client connected to a socket.io@2 server: %s", r)
	}
	expectWire(t, px, "the EIO=4 handshake answered 200 by the v2 server", httpLine("GET", 200, "EIO=4"))
	expectFault(t, px, faultWant{catalog: []string{"E2"}, code: []string{"v2_server"}, summary: []string{`EIO=4`, `v3|2\.x`}})
	expectOnlyFaults(t, px, "E2")
}

// maxHttpBufferSize 1000 and a 5000-byte event: 413 on polling, close
// 1009 on WebSocket.
//
// confirm: regexps the fault must also match. On polling the 413 answers
// the POST that carried the payload, so the fault can name it; on WebSocket
// the message itself is the evidence and the 1009 close comes after it.
func faultMaxBuffer(t *testing.T, transport string, confirm ...string) {
	srv := startServer(t, map[string]any{"maxHttpBufferSize": 1000})
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "big", map[string]any{"transports": []string{transport}, "size": 5000})
	if r.Disconnect == nil || r.Disconnect.Reason != "transport error" && r.Disconnect.Reason != "transport close" {
		t.Errorf("the client should be cut off with transport error/close, got %s", r)
	}
	if transport == "polling" {
		expectWire(t, px, "the oversized POST answered 413", httpLine("POST", 413, "sid="+r.Sid))
	} else {
		expectWire(t, px, "the session closed with code 1009", func(e event.Event) bool {
			return sessionLine("close", r.Sid)(e) && e.Code == 1009
		})
	}
	// 5013 = 42["echo","x…x"] with 5000 x: the size sent and the limit.
	expectFault(t, px, faultWant{catalog: []string{"H1"}, code: []string{"payload_too_large"}, sid: r.Sid, summary: []string{`\b5013\b`, `\b1000\b`}, evidence: confirm})
	expectOnlyFaults(t, px, "H1")
}

// A client that never pongs, against pingInterval 300 ms and pingTimeout
// 300 ms: the server closes the session ("ping timeout").
func faultNoPong(t *testing.T) {
	srv := startServer(t, map[string]any{"pingInterval": 300, "pingTimeout": 300})
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "nopong", map[string]any{"transports": []string{"websocket"}})
	if r.Disconnect == nil {
		t.Fatalf("the client should have been disconnected: %s", r)
	}
	expectWire(t, px, "the session closed", sessionLine("close", r.Sid))
	expectFault(t, px, faultWant{catalog: []string{"F1"}, code: []string{"pong_missing"}, sid: r.Sid, summary: []string{`\b300\b|0\.3 ?s`}})
	expectOnlyFaults(t, px, "F1")
}

// CONNECT to a namespace the server does not have.
func faultUnknownNamespace(t *testing.T) {
	srv := startServer(t, nil)
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "connect", map[string]any{"nsp": "/nope", "transports": []string{"websocket"}})
	wantConnectError(t, r, `^Invalid namespace$`)
	expectWire(t, px, "a CONNECT_ERROR packet for /nope", func(e event.Event) bool {
		return e.Kind == event.KindPacket && e.Sid == r.Sid && e.Type == "CONNECT_ERROR" && e.Nsp == "/nope"
	})
	expectFault(t, px, faultWant{catalog: []string{"G1"}, code: []string{"namespace_invalid"}, sid: r.Sid, summary: []string{"/nope", "Invalid namespace"}})
	expectOnlyFaults(t, px, "G1")
}

// A namespace middleware refusing with err.data (server.js: token check on
// /admin, Error("unauthorized") with data {reason: "bad token"}).
func faultMiddleware(t *testing.T) {
	srv := startServer(t, map[string]any{"namespaces": []map[string]any{{"name": "/admin", "token": "secret"}}})
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "connect", map[string]any{"nsp": "/admin", "auth": map[string]any{"token": "wrong"}, "transports": []string{"websocket"}})
	wantConnectError(t, r, `^unauthorized$`)
	if r.ConnectError != nil && string(r.ConnectError.Data) != `{"reason":"bad token"}` {
		t.Errorf("connect_error data %s, want {\"reason\":\"bad token\"}", r.ConnectError.Data)
	}
	expectWire(t, px, "a CONNECT_ERROR packet for /admin", func(e event.Event) bool {
		return e.Kind == event.KindPacket && e.Sid == r.Sid && e.Type == "CONNECT_ERROR" && e.Nsp == "/admin"
	})
	expectFault(t, px, faultWant{catalog: []string{"G2"}, code: []string{"middleware_refused"}, sid: r.Sid, summary: []string{"unauthorized", "/admin", "bad token"}})
	expectOnlyFaults(t, px, "G2")
}

// The client uses path /sockets/ while the server serves /socket.io/: the
// HTTP server behind answers 404.
func faultWrongPath(t *testing.T) {
	srv := startServer(t, nil)
	px := startProxy(t, srv.url)
	r := runFaultClient(t, px.url, "connect", map[string]any{"path": "/sockets/", "transports": []string{"polling"}})
	wantConnectError(t, r, `xhr poll error`)
	expectWire(t, px, "the handshake on /sockets/ answered 404", httpLine("GET", 404, "/sockets/"))
	expectFault(t, px, faultWant{catalog: []string{"D3"}, code: []string{"path_mismatch"}, summary: []string{"/sockets/", `\b404\b`}})
	expectOnlyFaults(t, px, "D3")
}

// hostOf strips the scheme: "http://127.0.0.1:3000" → "127.0.0.1:3000".
func hostOf(url string) string {
	_, rest, _ := strings.Cut(url, "://")
	return rest
}
