// Package eio decodes and encodes Engine.IO v3 and v4 exactly as the
// reference implementations (engine.io-parser 2.2.1 for v3, 5.x for v4) put
// them on the wire: single packets (WebSocket messages), polling payloads,
// JSONP bodies, the open handshake, WebTransport framing and HTTP
// content-encodings.
//
// The package is sans-IO: it takes bytes and returns values. It never opens a
// socket, reads a clock or starts a goroutine, and no input makes it panic or
// allocate more than a small multiple of the input (or the caller's cap).
//
// Errors are *decode.Error with Layer "eio" (v4, WebTransport, JSONP),
// "eio3" (v3 payloads) or "http" (content-encoding), carrying the byte offset
// and, inside payloads, the packet index.
package eio
