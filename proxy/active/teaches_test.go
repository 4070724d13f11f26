package active

import (
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/eio"
)

// TestTeachesKeepsWhatObserveLearns checks the shortcut skips only text
// messages observe would learn nothing from, and does skip the usual
// EVENTs and ACKs.
func TestTeachesKeepsWhatObserveLearns(t *testing.T) {
	msgs := []string{
		`0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`,
		`40`, `40{"sid":"x"}`, `40/admin,{"sid":"y"}`, `41`, `42["chat",1]`, `421["echo",{}]`, `431[{}]`,
		`44{"message":"no"}`, `451-["up",{"_placeholder":true,"num":0}]`, `2`, `3`, `2probe`, `3probe`, `5`, `6`, `1`,
		`bBAECAw==`, `b4AQID`, ``, `4`, `0`, `9`, "\xff",
	}
	// What observe acts on, from the full decode.
	acts := func(v eio.Version, dir decode.Dir, m string) bool {
		p, err := eio.DecodePacket(v, []byte(m), false)
		switch {
		case err != nil:
			return false
		case p.Type == eio.Open:
			return dir == decode.S2C
		case p.Type == eio.Message && p.Binary:
			return true
		case p.Type == eio.Message:
			return dir == decode.S2C && len(p.Data) > 0 && p.Data[0] == '0'
		}
		return false
	}
	for _, v := range []eio.Version{eio.V3, eio.V4} {
		for _, dir := range []decode.Dir{decode.C2S, decode.S2C} {
			for _, m := range msgs {
				if acts(v, dir, m) && !teaches(dir, []byte(m)) {
					t.Errorf("EIO %v %v %q: observe learns from it, teaches says skip", v, dir, m)
				}
			}
		}
	}
	for _, m := range []string{`42["chat",1]`, `431[{}]`, `2`, `3`} {
		for _, dir := range []decode.Dir{decode.C2S, decode.S2C} {
			if teaches(dir, []byte(m)) {
				t.Errorf("%v %q is decoded for nothing", dir, m)
			}
		}
	}
}

// The idle active layer's cost per relayed EVENT and ACK (a default run
// has one): what observe does with messages it learns nothing from.
func BenchmarkObserveEventAck(b *testing.B) {
	c := newConn(New(Options{}), 1, decode.WebSocket, eio.V4, "abc", "127.0.0.1:1", nil)
	ev, ack := []byte(`421["echo",{"op":"get","key":"user:42","n":1}]`), []byte(`431[{"op":"get","key":"user:42","n":1}]`)
	b.ReportAllocs()
	for b.Loop() {
		c.observe(decode.C2S, ev, false)
		c.observe(decode.S2C, ack, false)
	}
}
