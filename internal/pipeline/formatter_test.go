package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// mixedObs is WebSocket and polling sessions interleaved, with binary
// attachments, big messages (which close the formatter's batches by
// size) and a decode error.
func mixedObs() []obs.Obs {
	var all []obs.Obs
	for c := uint64(1); c <= 40; c++ {
		all = append(all, wsSession(c, fmt.Sprintf("ws%018d", c))...)
	}
	setup, loop := benchPollObs(smallPayload)
	all = append(all, setup...)
	big := strings.Repeat("x", 300<<10)
	for i := range 3000 {
		c := uint64(i%40 + 1)
		at := t0.Add(time.Duration(i) * time.Millisecond)
		msg := func(d decode.Dir, op byte, s string) obs.Obs {
			return obs.Obs{Kind: obs.KindWSMsg, Time: at, WSMsg: &obs.WSMessage{Conn: c, Dir: d, Opcode: op, Data: []byte(s)}}
		}
		o := loop[i%len(loop)]
		o.Time = at
		all = append(all, o, msg(decode.C2S, 1, fmt.Sprintf(`42%d["chat",{"n":%d,"s":"\u00e9\u2028<&>"}]`, i, i)), msg(decode.S2C, 1, fmt.Sprintf(`43%d[true]`, i)))
		switch {
		case i%500 == 7:
			all = append(all, msg(decode.C2S, 1, `42["big","`+big+`"]`))
		case i%100 == 3:
			all = append(all, msg(decode.C2S, 1, `451-["up",{"_placeholder":true,"num":0}]`), msg(decode.C2S, 2, "\x00\x01\x02\xff"))
		case i%250 == 9:
			all = append(all, msg(decode.S2C, 1, `4{not json`))
		}
	}
	return all
}

// A lossless run formats on a goroutine of its own; what it writes is
// byte for byte what the analyzer formatting every line itself writes.
func TestLosslessFormatsLikeLive(t *testing.T) {
	input := mixedObs()
	run := func(format string, lossless bool) string {
		in := bus.NewQueue[obs.Obs](len(input))
		for _, o := range input {
			in.Push(o)
		}
		in.Close()
		var out lockedBuffer
		err := Run(context.Background(), Config{In: in, Out: &out, Format: format, Lossless: lossless,
			OutQueue: 1 << 16, OutBytes: 1 << 30, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			live, lossless := run(format, false), run(format, true)
			if n := strings.Count(live, "\n"); n < len(input) {
				t.Fatalf("only %d lines for %d observations", n, len(input))
			}
			if strings.Contains(live, `"kind":"drop"`) || strings.Contains(live, "dropped") {
				t.Fatal("the reference run dropped lines")
			}
			if live != lossless {
				i := 0
				for i < min(len(live), len(lossless)) && live[i] == lossless[i] {
					i++
				}
				t.Fatalf("outputs differ at byte %d of %d/%d:\nlive:     %q\nlossless: %q", i, len(live), len(lossless),
					live[max(0, i-80):min(len(live), i+80)], lossless[max(0, i-80):min(len(lossless), i+80)])
			}
			if !bytes.Contains([]byte(live), []byte("big")) {
				t.Fatal("the big messages are missing")
			}
		})
	}
}
