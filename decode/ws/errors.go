package ws

import (
	"errors"

	"github.com/sioproxy/sioproxy/decode"
)

// Per-message problems, for errors.Is on Message.Err. Framing stays in sync
// after any of them.
var (
	// ErrTooLarge: the reassembled message exceeded Options.MaxMessage; its
	// payload was skipped, not buffered, and Data is nil.
	ErrTooLarge = errors.New("message too large")
	// ErrInflateTooLarge: inflating exceeded Options.MaxInflate; Data is nil.
	ErrInflateTooLarge = errors.New("inflated message too large")
	// ErrInflate: the compressed payload is not valid DEFLATE data.
	ErrInflate = errors.New("inflate failed")
	// ErrContextLost: an earlier compressed message in this direction could
	// not be inflated under context takeover, so the shared window is
	// unknown and later compressed messages cannot be trusted; Data is nil.
	ErrContextLost = errors.New("deflate context lost")
	// ErrBadClose: a close frame with a 1-byte payload, a code that must not
	// be sent, or a reason that is not UTF-8. Data is intact.
	ErrBadClose = errors.New("invalid close frame")
	// ErrOverBudget: buffering or inflating the message would have
	// exceeded Options.Budget, the memory shared by every connection's
	// reassembly; its payload was skipped and Data is nil.
	ErrOverBudget = errors.New("over the reassembly memory budget")
)

const layer = "ws"

// fatal builds the sticky error for a stream that lost framing sync.
func fatal(offset int64, format string, args ...any) *decode.Error {
	e := decode.Errorf(layer, int(offset), format, args...)
	e.Err = decode.ErrUndecodable
	return e
}

// msgErr builds a per-message error wrapping one of the sentinels above.
func msgErr(offset int64, cause error, format string, args ...any) *decode.Error {
	e := decode.Errorf(layer, int(offset), format, args...)
	e.Err = cause
	return e
}
