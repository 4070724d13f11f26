package active

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode/eio"
)

// TestNoteMsgpack: the analyzer's word on a session's parser reaches its
// polling Conn whether it comes before or after the Conn exists.
func TestNoteMsgpack(t *testing.T) {
	e := New(Options{})
	e.NoteMsgpack("before")
	before := e.Polling("before", eio.V4, "c", nil)
	after := e.Polling("after", eio.V4, "c", nil)
	plain := e.Polling("plain", eio.V4, "c", nil)
	e.NoteMsgpack("after")
	for _, tc := range []struct {
		name string
		pl   *Poll
		want bool
	}{{"before", before, true}, {"after", after, true}, {"plain", plain, false}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.pl.Conn().Msgpack(); got != tc.want {
				t.Fatalf("Msgpack() = %v, want %v", got, tc.want)
			}
			if got := tc.pl.Conn().Info().Parser; (got == "msgpack") != tc.want {
				t.Fatalf("Info().Parser = %q", got)
			}
		})
	}
}
