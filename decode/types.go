package decode

import (
	"errors"
	"fmt"
)

// Dir is the direction a byte, frame or packet travelled.
type Dir uint8

const (
	C2S Dir = iota // client to server
	S2C            // server to client
)

func (d Dir) String() string {
	if d == S2C {
		return "s2c"
	}
	return "c2s"
}

// Reverse returns the other direction.
func (d Dir) Reverse() Dir { return 1 - d }

// Transport is the Engine.IO transport that carried a packet.
type Transport uint8

const (
	Polling Transport = iota
	WebSocket
)

func (t Transport) String() string {
	if t == WebSocket {
		return "websocket"
	}
	return "polling"
}

// ErrUndecodable marks a stream that lost framing sync: the relay keeps
// forwarding it, but nothing more is decoded from it.
var ErrUndecodable = errors.New("stream is undecodable")

// Error is the one error type of every decoder. It says which layer failed,
// what was wrong, and where: the byte offset in the input and, for payloads
// that hold several packets, the packet's index.
type Error struct {
	Layer  string // "ws", "eio", "eio3", "sio", "msgpack", "http"
	Offset int    // byte offset in the input, -1 if unknown
	Index  int    // packet index within a payload, -1 if not applicable
	Msg    string // what is wrong, naming the offending value
	Err    error  // wrapped cause, for errors.Is (may be nil)
}

func (e *Error) Error() string {
	s := e.Layer + ": " + e.Msg
	if e.Index >= 0 {
		s += fmt.Sprintf(" (packet %d", e.Index)
		if e.Offset >= 0 {
			s += fmt.Sprintf(", offset %d", e.Offset)
		}
		s += ")"
	} else if e.Offset >= 0 {
		s += fmt.Sprintf(" (offset %d)", e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with no packet index.
func Errorf(layer string, offset int, format string, args ...any) *Error {
	return &Error{Layer: layer, Offset: offset, Index: -1, Msg: fmt.Sprintf(format, args...)}
}
