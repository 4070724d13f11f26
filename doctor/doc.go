// Package doctor runs the Socket.IO troubleshooting guide against a server,
// as a client would, and reports each check as PASS, WARN or FAIL with the
// exact request, what came back, the FAULTS.md id and a fix that quotes the
// observed values. `sioproxy doctor URL` is its command-line front.
//
// Probes are grouped by layer (network, Engine.IO handshake, CORS, cookies
// and affinity, WebSocket, namespace, heartbeat, limits) and run in that
// order, because a lower layer's failure explains every one above it. Every
// network operation has a deadline; nothing waits longer than the probe's
// timeout except the heartbeat, which waits one pingInterval by design.
//
// Wire data is decoded with the project's own decoders (decode/eio,
// decode/sio, decode/ws) and fixes reuse decode/diagnose's catalogue texts.
package doctor
