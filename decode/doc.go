// Package decode is sioproxy's sans-IO protocol layer: bytes and metadata in,
// typed values and typed errors out. Nothing under decode/ opens a socket,
// reads a clock (callers pass timestamps) or starts a goroutine, so every
// decoder can be driven by table tests and fuzzers alone.
//
// Subpackages follow the wire from the outside in:
//
//	decode/ws       RFC 6455 frames and permessage-deflate, from a byte stream
//	decode/eio      Engine.IO v3/v4 packets, polling payloads, JSONP, handshake
//	decode/sio      Socket.IO protocol 4/5 packets, attachments, msgpack
//	decode/session  sessions by sid, acks, heartbeats, and fault diagnosis
package decode
