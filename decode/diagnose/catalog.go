package diagnose

import "github.com/sioproxy/sioproxy/internal/event"

// Entry is one fault code of the catalogue.
type Entry struct {
	Code     string
	Catalog  string // FAULTS.md id, "A", "B1" … "J"
	Severity event.Severity
	Title    string
	Fix      string
}

// Fault codes. They are part of the --json schema: never rename one.
const (
	CodeTransportUnknown      = "handshake_transport_unknown"
	CodeSessionUnknown        = "handshake_session_unknown"
	CodeBadHandshakeMethod    = "handshake_bad_method"
	CodeBadRequest            = "handshake_bad_request"
	CodeTransportMismatch     = "handshake_transport_mismatch"
	CodeForbidden             = "handshake_forbidden"
	CodeCORSMissing           = "cors_allow_origin_missing"
	CodeCORSMismatch          = "cors_origin_mismatch"
	CodeCORSWildcardCreds     = "cors_credentials_wildcard"
	CodeCORSCredsMissing      = "cors_credentials_not_allowed"
	CodePreflightNoCORS       = "cors_preflight_no_cors"
	CodePreflightOrigin       = "cors_preflight_origin_refused"
	CodePreflightHeader       = "cors_preflight_header_refused"
	CodeCookieNotSent         = "cookie_not_sent_back"
	CodeSessionUnknownLive    = "session_unknown_live"
	CodeSidOtherUpstream      = "sid_routed_to_other_upstream"
	CodeSidBackendChanged     = "sid_backend_changed"
	CodeUpgradeStripped       = "upgrade_headers_stripped"
	CodeUpgradeRefused        = "websocket_upgrade_refused"
	CodeStuckOnPolling        = "stuck_on_polling"
	CodeProbeUnanswered       = "upgrade_probe_unanswered"
	CodeUpgradeIncomplete     = "upgrade_not_completed"
	CodePathMismatch          = "path_mismatch"
	CodeMixedContent          = "mixed_content"
	CodeEIO3Rejected          = "eio3_client_rejected"
	CodeV2Server              = "v2_server"
	CodePongMissing           = "pong_missing"
	CodePingMissing           = "ping_missing"
	CodeHeartbeatDirection    = "heartbeat_wrong_direction"
	CodeConstantAgeCloses     = "closes_at_constant_age"
	CodePollCut               = "poll_cut_by_intermediary"
	CodeNamespaceInvalid      = "namespace_invalid"
	CodeMiddlewareRefused     = "middleware_refused"
	CodeConnectMissing        = "connect_missing"
	CodeEventUnjoined         = "event_unjoined_namespace"
	CodeDuplicateConnect      = "connect_duplicate"
	CodeParseError            = "parse_error"
	CodePayloadTooLarge       = "payload_too_large"
	CodePollOverlap           = "polling_overlap"
	CodeTLSClientRejected     = "tls_client_rejected_certificate"
	CodeTLSClientPlainHTTP    = "tls_client_plain_http"
	CodeTLSClientOnPlain      = "tls_client_tls_on_plain"
	CodeTLSUpstreamPlain      = "tls_upstream_plain_port"
	CodeTLSUpstreamUnknownCA  = "tls_upstream_unknown_authority"
	CodeTLSUpstreamSelfSigned = "tls_upstream_self_signed"
	CodeTLSUpstreamExpired    = "tls_upstream_expired"
	CodeTLSUpstreamHostname   = "tls_upstream_hostname"
	CodeTLSUpstreamOther      = "tls_upstream_error"
	CodeAbnormalEnd           = "session_abnormal_end"
	CodeUpstreamUnreachable   = "upstream_unreachable"
	CodeAckTimeout            = "ack_timeout"
	CodeCORSLatentWildcard    = "cors_wildcard_credentials_latent"
	CodeCORSReflected         = "cors_origin_reflected_with_credentials"
	CodeCSRFailed             = "csr_recovery_failed"
	CodeCSRPidNotSent         = "csr_pid_not_sent"
	CodeCSROffsetMissing      = "csr_offset_missing"
	CodeDuplicateSession      = "duplicate_session"
	CodeReconnectStorm        = "reconnect_storm"
	CodeReconnectNoBackoff    = "reconnect_without_backoff"
)

const (
	fixSticky     = "Enable sticky sessions: nginx `hash $remote_addr consistent` or `ip_hash`, a cookie in HAProxy/httpd/Traefik, `@socket.io/sticky` for Node cluster; or connect with `transports: [\"websocket\"]`. With sioproxy, `--balance sticky`."
	fixUpgrade    = "Forward the upgrade: nginx `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";`, httpd `mod_proxy_wstunnel` with a rewrite on `Upgrade`, Caddy `reverse_proxy` as is."
	fixCORS       = "CORS is off by default since Socket.IO v3: set `cors: {origin: [\"<the page's origin>\"]}` on the server; the fault names the origin it saw and a curl check that sends it."
	fixCreds      = "List the origins explicitly and set `cors: {origin: [...], credentials: true}` on the server, `withCredentials: true` on the client."
	fixUpstreamCA = "Fix the upstream's certificate chain, or give sioproxy its CA with `--upstream-ca FILE` (or `--insecure-upstream` to skip verification while debugging)."
)

var catalog = []Entry{
	{CodeTransportUnknown, "A", event.Error, "Transport unknown (code 0)", "Align the `transports` option of client and server (client `tryAllTransports` since 4.8): a WebSocket-only server refuses polling."},
	{CodeSessionUnknown, "A", event.Warning, "Session ID unknown (code 1) for a session not known to be alive", "The session had ended or the server restarted; if it happens while sessions are alive, see C1 (sticky sessions)."},
	{CodeBadHandshakeMethod, "A", event.Error, "Bad handshake method (code 2)", "The first request of a session must be a GET; an OPTIONS here is a CORS preflight to a server without `cors` (see B3)."},
	{CodeBadRequest, "A", event.Error, "Bad request (code 3)", "Look at the message: invalid Origin characters, a `io.engine.use()` middleware error (including a `cors` origin callback error), or lost Upgrade headers (D1)."},
	{CodeTransportMismatch, "A", event.Error, "Polling request after the upgrade (code 3, TRANSPORT_MISMATCH)", "A polling request reached the server after the session moved to WebSocket: a client bug or an intermediary retrying a long-poll; disable retries on /socket.io/."},
	{CodeForbidden, "A", event.Warning, "Forbidden (code 4): allowRequest refused", "Intended by the server's `allowRequest`; review its origin/auth check if this client should be let in."},
	{CodeCORSMissing, "B1", event.Error, "Cross-origin response without Access-Control-Allow-Origin", fixCORS},
	{CodeCORSMismatch, "B2", event.Error, "Access-Control-Allow-Origin does not match the Origin", "Add the page's origin to `cors.origin` on the server (scheme, host and port must match exactly)."},
	{CodeCORSWildcardCreds, "B2", event.Error, "Credentials sent against Access-Control-Allow-Origin: *", fixCreds},
	{CodeCORSCredsMissing, "B2", event.Error, "Credentials sent without Access-Control-Allow-Credentials: true", fixCreds},
	{CodePreflightNoCORS, "B3", event.Error, "CORS preflight refused: the server has no cors option", "Set `cors: {origin: [...], allowedHeaders: [...]}` on the server; a preflight only happens because the client sends `extraHeaders`."},
	{CodePreflightOrigin, "B3", event.Error, "CORS preflight refused the origin", "Add the page's origin to `cors.origin` on the server."},
	{CodePreflightHeader, "B3", event.Error, "CORS preflight refused a request header", "Add the client's `extraHeaders` names to `cors.allowedHeaders` on the server (or drop the extra headers)."},
	{CodeCookieNotSent, "B4", event.Warning, "Cookie set by the server not sent back", "Set `withCredentials: true` on the client and `cors.credentials: true` on the server (the Node client honours it since 4.7.0); cross-site cookies need `SameSite=None; Secure`."},
	{CodeCORSLatentWildcard, "B5", event.Warning, "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true (fails as soon as a client sends credentials)", "List the origins explicitly: `cors: {origin: [\"https://app.example\"], credentials: true}`; `*` never works with credentials."},
	{CodeCORSReflected, "B5", event.Warning, "Every Origin reflected with credentials allowed: any website can use the user's session", "Replace `origin: true` (or a callback that accepts any origin) with the list of your origins: `cors: {origin: [\"https://app.example\"], credentials: true}`."},
	{CodeSessionUnknownLive, "C1", event.Error, "Session ID unknown for a live session: request reached another server", fixSticky},
	{CodeSidOtherUpstream, "C2", event.Error, "One session routed to several upstreams", "Route by the `sid` query parameter (as `@socket.io/sticky` does) or a cookie; with sioproxy use `--balance sticky`. Cross-node broadcasts also need an adapter."},
	{CodeSidBackendChanged, "C2", event.Error, "One session served by several backends behind the load balancer", fixSticky},
	{CodeUpgradeStripped, "D1", event.Error, "WebSocket upgrade headers lost on the way (code 3)", fixUpgrade},
	{CodeUpgradeRefused, "D1", event.Error, "WebSocket upgrade not answered 101", fixUpgrade},
	{CodeStuckOnPolling, "D1", event.Warning, "Session stuck on long-polling", "The server offers the WebSocket upgrade but the client never tries it: check the client's `transports`/`upgrade` options and any intermediary that blocks WebSocket. " + fixUpgrade},
	{CodeProbeUnanswered, "D2", event.Error, "Upgrade probe not answered", "The WebSocket opened but the probe is not relayed: look for a buffering middlebox between client and server. " + fixUpgrade},
	{CodeUpgradeIncomplete, "D2", event.Warning, "Upgrade not completed within upgradeTimeout", "The client got 3probe but never sent `5`: it could not pause polling (a hung request?) or the frame was not relayed; look for buffering middleboxes."},
	{CodePathMismatch, "D3", event.Error, "Engine.IO request on a path the server does not serve", "Use the same `path` option on client and server and in the reverse proxy's location matcher (mind the trailing slash: `addTrailingSlash`)."},
	{CodeMixedContent, "D4", event.Warning, "https page talking to a plaintext endpoint", "Use an https:// / wss:// server URL (sioproxy: `--tls-cert`/`--tls-key` or its generated localhost certificate)."},
	{CodeEIO3Rejected, "E1", event.Error, "Socket.IO 2.x client (EIO3) refused by a v3/v4 server", "Upgrade the client; or set `allowEIO3: true` on the server (socket.io ≥ 3.1.0) while migrating."},
	{CodeV2Server, "E2", event.Error, "Socket.IO v3/v4 client against a v2 server", "Upgrade the server to socket.io ≥ 3 (v3/v4 clients cannot talk to a 2.x server)."},
	{CodePongMissing, "F1", event.Error, "Ping not answered within pingTimeout", "Raise `pingTimeout` for slow uploads or busy event loops; make sure the peer keeps polling; clients ≥ 4.1.3 avoid throttled-timer drops."},
	{CodePingMissing, "F1", event.Error, "No ping within pingInterval + pingTimeout", "The pinging side stopped (blocked event loop, throttled timers, frames not relayed): check the server (v4) or client (v3) and any buffering intermediary."},
	{CodeHeartbeatDirection, "F1", event.Error, "Heartbeat sent in the wrong direction", "Client and server disagree on the protocol version (v4: the server pings, v3: the client pings): use matching Engine.IO versions."},
	{CodeConstantAgeCloses, "F2", event.Warning, "Connections cut at a constant age: an intermediary timeout", "Raise the intermediary's timeout above pingInterval + pingTimeout: nginx `proxy_read_timeout`, httpd `ProxyTimeout`, cloud load balancer backend timeout (GCP: 30 s default)."},
	{CodePollCut, "F2", event.Warning, "Long-poll cut by an intermediary", "Raise the intermediary's timeout above pingInterval + pingTimeout (nginx `proxy_read_timeout`, httpd `ProxyTimeout`, cloud backend timeout); a timeout below pingInterval breaks every long-poll."},
	{CodeNamespaceInvalid, "G1", event.Error, "Namespace refused (Invalid namespace)", "Declare the namespace on the server (`io.of(\"/name\")`), or, if it is really a URL path, pass it as the `path` option instead."},
	{CodeMiddlewareRefused, "G2", event.Error, "Connection refused by a middleware", "Act on the middleware's message; the client does not reconnect by itself and must call `socket.connect()` again."},
	{CodeConnectMissing, "G3", event.Warning, "No CONNECT within connectTimeout", "The client must send a CONNECT for each namespace right after the handshake; the server closes the session after `connectTimeout` (45 s)."},
	{CodeEventUnjoined, "G3", event.Error, "EVENT for a namespace the client has not joined", "Client bug: emit only on connected sockets; the server closes the session."},
	{CodeDuplicateConnect, "G3", event.Error, "Duplicate CONNECT for a connected namespace", "Client bug: connect each namespace once; the server closes the session."},
	{CodeParseError, "G4", event.Error, "Packet that does not decode", "Use the same parser on both ends (e.g. socket.io-msgpack-parser on client and server); upgrade a 4.8.0 client bundle (BINARY placeholder bug)."},
	{CodeAckTimeout, "G5", event.Warning, "EVENT whose ACK never came (within --ack-timeout or the session's life)", "Call the acknowledgement callback on every path of the handler; use `socket.timeout(ms).emit(…)` so a missing reply is an error, and `retries` or connectionStateRecovery for replies lost in a reconnect."},
	{CodePayloadTooLarge, "H1", event.Error, "Message over maxHttpBufferSize / maxPayload", "Raise `maxHttpBufferSize` on the server (e.g. 1e8) or send smaller chunks; raise `pingTimeout` for long uploads."},
	{CodePollOverlap, "H2", event.Error, "Overlapping polling requests for one session", "Do not retry requests on /socket.io/ in intermediaries; fix intermediary timeouts (F2) that make clients re-poll."},
	{CodeTLSClientRejected, "I1", event.Error, "Client rejected sioproxy's certificate", "Make the client trust the certificate: install sioproxy's CA in the browser/OS store, or give Node clients the `ca` option (`rejectUnauthorized` is Node-only)."},
	{CodeTLSClientPlainHTTP, "I2", event.Error, "Plain HTTP sent to sioproxy's TLS port", "Use an https:// / wss:// URL for a TLS listener (or start sioproxy without TLS)."},
	{CodeTLSClientOnPlain, "I2", event.Error, "TLS sent to sioproxy's plaintext port", "Use an http:// / ws:// URL for a plaintext listener (or start sioproxy with `--tls-cert`/`--tls-key`)."},
	{CodeTLSUpstreamPlain, "I2", event.Error, "Upstream port speaks plain HTTP, not TLS", "Use an http:// target for that port (or the port where the server listens with TLS)."},
	{CodeTLSUpstreamUnknownCA, "I3", event.Error, "Upstream certificate signed by an unknown authority", fixUpstreamCA},
	{CodeTLSUpstreamSelfSigned, "I3", event.Error, "Upstream certificate is self-signed", fixUpstreamCA},
	{CodeTLSUpstreamExpired, "I3", event.Error, "Upstream certificate expired (or not yet valid)", "Renew the upstream's certificate (check its clock); `--insecure-upstream` skips verification while debugging."},
	{CodeTLSUpstreamHostname, "I3", event.Error, "Upstream certificate does not name the target host", "Point the target at a name the certificate covers, or reissue it with that name in subjectAltName; `--insecure-upstream` skips verification while debugging."},
	{CodeTLSUpstreamOther, "I3", event.Error, "Upstream TLS handshake failed", fixUpstreamCA},
	{CodeAbnormalEnd, "J", event.Info, "Session ended abnormally", "See the close reason: a transport error means a connection broke (network, proxy or process restart) rather than a close by either side."},
	{CodeUpstreamUnreachable, "K", event.Error, "The target does not accept connections", "Is the server running, and on this port? Start it, or point `--target` at the port it listens on."},
	{CodeCSRFailed, "L1", event.Error, "Connection state recovery refused within maxDisconnectionDuration: the server-side state was lost", "Recovery needs the same node and a store that survives: sticky sessions, an adapter with session support (Redis Streams, MongoDB, Postgres; not the Redis pub/sub adapter), and no restart in between."},
	{CodeCSRPidNotSent, "L1", event.Warning, "Reconnecting client does not send its pid back", "Use socket.io-client ≥ 4.6 and let the Manager reconnect by itself: a new `io()` or `socket.connect()` after `socket.disconnect()` starts a new socket and drops the recovery state."},
	{CodeCSROffsetMissing, "L1", event.Warning, "Recovery attempt with a pid but no offset (socket.io #5538)", "The client got no event before it lost the connection, so it has no offset and socket.io ≤ 4.8 refuses the recovery: emit an event on connection (e.g. a welcome) so every client holds an offset, or upgrade to a release with the fix."},
	{CodeReconnectStorm, "L2", event.Error, "Reconnection storm: many handshakes at once, mostly failing or after a mass drop", "Keep the clients' backoff (socket.io-client defaults: reconnectionDelay 1000, reconnectionDelayMax 5000, randomizationFactor 0.5; raise them for large fleets); restart servers gracefully (`io.close()`, one node at a time) and fix what makes the handshakes fail first."},
	{CodeReconnectNoBackoff, "L2", event.Warning, "Client reconnecting without backoff or jitter", "Do not set reconnectionDelay = reconnectionDelayMax or randomizationFactor 0, and do not reconnect by hand in a loop: let the Manager back off (1 s doubling to 5 s, ±50 %)."},
	{CodeDuplicateSession, "L3", event.Warning, "One client holds two live sessions on one namespace (duplicate events)", "Create the socket once (module scope, or an effect whose cleanup calls `socket.disconnect()`); a second `io()` for a namespace already in use opens a second connection. If a handler runs twice while sioproxy shows one session, the event crossed the wire once: a listener was added twice (`socket.on` without `socket.off`), which the proxy cannot fix."},
}

var byCode = func() map[string]*Entry {
	m := make(map[string]*Entry, len(catalog))
	for i := range catalog {
		m[catalog[i].Code] = &catalog[i]
	}
	return m
}()

// Catalog returns every fault code the Engine can raise, in catalogue
// order (for documentation).
func Catalog() []Entry { return append([]Entry(nil), catalog...) }
