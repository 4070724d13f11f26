// Package ws parses RFC 6455 WebSocket frames from a raw, one-direction TCP
// byte stream and inflates permessage-deflate (RFC 7692) messages, with and
// without context takeover.
//
// It is written for a passive tap: the proxy relays bytes unchanged and feeds
// a copy, in whatever chunks it read, to one Parser per direction. The parser
// never writes, answers pings or validates the handshake; it only reports
// what went by. A stream that loses framing sync is marked undecodable and
// the relay keeps forwarding it.
//
// The parser is sans-IO and, in steady state, allocation-free: message data is
// handed to the emit callback in a buffer that is reused for the next message.
package ws
