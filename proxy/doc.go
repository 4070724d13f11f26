// Package proxy relays HTTP and WebSocket traffic byte for byte and taps a
// copy of it as observations (internal/obs) for the decoder.
package proxy
