package ws

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// RFC 7692 §7.2.3 examples, compressed by a deflate implementation other
// than Go's.
func TestDeflateRFC7692(t *testing.T) {
	hello := func(wire, plen, frames int) got {
		return got{Op: 1, Data: "Hello", Compressed: true, WireLen: wire, Frames: frames, PayloadLen: plen}
	}
	for _, tc := range []struct {
		name string
		ext  Extensions
		in   string
		want []got
	}{
		{"one message", deflateExt, "c1 07 f2 48 cd c9 c9 07 00", []got{hello(9, 7, 1)}},
		{"fragmented", deflateExt, "41 03 f2 48 cd 80 04 c9 c9 07 00", []got{hello(11, 7, 2)}},
		{"shared window", deflateExt, "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00",
			[]got{hello(9, 7, 1), hello(7, 5, 1)}},
		{"stored block", deflateExt, "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", []got{hello(13, 11, 1)}},
		{"BFINAL set", deflateExt, "c1 08 f3 48 cd c9 c9 07 00 00", []got{hello(10, 8, 1)}},
		{"shared window needs takeover", Extensions{Deflate: true, ServerNoContextTakeover: true},
			"c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00 c1 07 f2 48 cd c9 c9 07 00",
			[]got{hello(9, 7, 1), {Op: 1, Compressed: true, WireLen: 7, Frames: 1, PayloadLen: 5,
				Err: "ws: inflating 5 compressed bytes: flate: corrupt input before offset 3 (offset 9): inflate failed"},
				hello(9, 7, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := hexb(t, tc.in)
			for i := 0; i <= len(in); i++ {
				msgs, err := feedAll(NewParser(decode.S2C, tc.ext, Options{}), in[:i], in[i:])
				sameResult(t, fmt.Sprint("split at ", i), tc.want, msgs, nil, err)
			}
		})
	}
}

var chatMsgs = [][]byte{
	[]byte(`40{"sid":"lv_VI97HAXpY6yYWAAAC"}`),
	[]byte(`42["chat",{"user":"ann","text":"hello there"}]`),
	[]byte(`42["chat",{"user":"bob","text":"hello there, ann"}]`),
	[]byte(`42["chat",{"user":"ann","text":"hello there"}]`),
	[]byte(``),
	bytes.Repeat([]byte(`42["tick",{"n":1}]`), 3000), // crosses the 32 KiB window
	[]byte(`42["chat",{"user":"ann","text":"hello there"}]`),
}

// deflateFrames frames compressed payloads, splitting every third message
// into two frames with a ping between them.
func deflateFrames(payloads [][]byte, masked bool) []byte {
	var frames []fr
	for i, p := range payloads {
		if i%3 == 2 && len(p) > 2 {
			frames = append(frames,
				fr{op: OpText, rsv1: true, masked: masked, data: p[:len(p)/2]},
				fr{op: OpPing, fin: true, masked: masked, data: []byte("x")},
				fr{op: OpContinuation, fin: true, masked: masked, data: p[len(p)/2:]})
			continue
		}
		frames = append(frames, fr{op: OpText, fin: true, rsv1: true, masked: masked, data: p})
	}
	return build(frames...)
}

func TestDeflateStreams(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      decode.Dir
		takeover bool
		ext      Extensions
	}{
		{"c2s takeover", decode.C2S, true, deflateExt},
		{"s2c takeover", decode.S2C, true, deflateExt},
		{"c2s no takeover", decode.C2S, false, Extensions{Deflate: true, ClientNoContextTakeover: true}},
		{"s2c no takeover", decode.S2C, false, Extensions{Deflate: true, ServerNoContextTakeover: true}},
		// Only the other direction gave up takeover, so this one keeps it.
		{"s2c takeover, client none", decode.S2C, true, Extensions{Deflate: true, ClientNoContextTakeover: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := deflateFrames(deflateStream(t, tc.takeover, chatMsgs...), tc.dir == decode.C2S)
			msgs, err := feedAll(NewParser(tc.dir, tc.ext, Options{}), in)
			if err != nil {
				t.Fatal(err)
			}
			var data []string
			for _, m := range msgs {
				if m.Err != "" {
					t.Fatalf("message error %s", m.Err)
				}
				if m.Op == OpText {
					if !m.Compressed {
						t.Fatalf("message %v not marked compressed", m)
					}
					data = append(data, m.Data)
				}
			}
			if len(data) != len(chatMsgs) {
				t.Fatalf("%d text messages, want %d", len(data), len(chatMsgs))
			}
			for i := range data {
				if data[i] != string(chatMsgs[i]) {
					t.Fatalf("message %d: %.60q, want %.60q", i, data[i], chatMsgs[i])
				}
			}
			for _, step := range []int{1, 7, 100, 4093} {
				var chunks [][]byte
				for i := 0; i < len(in); i += step {
					chunks = append(chunks, in[i:min(i+step, len(in))])
				}
				got, err := feedAll(NewParser(tc.dir, tc.ext, Options{}), chunks...)
				sameResult(t, fmt.Sprint("chunks of ", step), msgs, got, nil, err)
			}
		})
	}
}

// Without the shared window a takeover stream cannot be inflated: this is
// what makes the window necessary, and shows the parser really uses it.
func TestDeflateTakeoverNeedsWindow(t *testing.T) {
	in := deflateFrames(deflateStream(t, true, chatMsgs[1], chatMsgs[1]), false)
	msgs, err := feedAll(NewParser(decode.S2C, Extensions{Deflate: true, ServerNoContextTakeover: true}, Options{}), in)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%v %v", msgs, err)
	}
	if msgs[0].Err != "" || !strings.Contains(msgs[1].Err, "corrupt input") {
		t.Fatalf("want the second message to fail without the window: %v", msgs)
	}
}

func TestDeflateFailures(t *testing.T) {
	zeros := deflateStream(t, true, make([]byte, 100000), []byte("after"))
	corrupt := []byte{0xff, 0xff, 0xff}
	plain := fr{op: OpBinary, fin: true, data: []byte("plain")}
	for _, tc := range []struct {
		name     string
		ext      Extensions
		opt      Options
		in       []byte
		wantErrs []error // per message, nil for fine
	}{
		{"inflate over cap, then context lost", deflateExt, Options{MaxInflate: 1000},
			build(fr{op: 2, fin: true, rsv1: true, data: zeros[0]}, plain, fr{op: 1, fin: true, rsv1: true, data: zeros[1]}),
			[]error{ErrInflateTooLarge, nil, ErrContextLost}},
		{"inflate at cap exactly", deflateExt, Options{MaxInflate: 100000},
			build(fr{op: 2, fin: true, rsv1: true, data: zeros[0]}, fr{op: 1, fin: true, rsv1: true, data: zeros[1]}),
			[]error{nil, nil}},
		{"corrupt, then context lost", deflateExt, Options{},
			build(fr{op: 1, fin: true, rsv1: true, data: corrupt}, plain, fr{op: 1, fin: true, rsv1: true, data: zeros[1]}),
			[]error{ErrInflate, nil, ErrContextLost}},
		{"compressed over MaxMessage, then context lost", deflateExt, Options{MaxMessage: 10},
			build(fr{op: 1, fin: true, rsv1: true, data: make([]byte, 11)}, fr{op: 1, fin: true, rsv1: true, data: []byte{0x03, 0x00}}),
			[]error{ErrTooLarge, ErrContextLost}},
		{"no takeover: failure is not sticky", Extensions{Deflate: true, ServerNoContextTakeover: true}, Options{},
			build(fr{op: 1, fin: true, rsv1: true, data: corrupt}, fr{op: 1, fin: true, rsv1: true, data: hexb(t, "f2 48 cd c9 c9 07 00")}),
			[]error{ErrInflate, nil}},
		{"truncated deflate data", deflateExt, Options{},
			build(fr{op: 1, fin: true, rsv1: true, data: hexb(t, "f2 48")}),
			[]error{ErrInflate}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs []error
			var datas [][]byte
			err := NewParser(decode.S2C, tc.ext, tc.opt).Feed(tc.in, func(m *Message) {
				errs = append(errs, m.Err)
				datas = append(datas, m.Data)
			})
			if err != nil {
				t.Fatalf("fatal %v", err)
			}
			if len(errs) != len(tc.wantErrs) {
				t.Fatalf("%d messages (%v), want %d", len(errs), errs, len(tc.wantErrs))
			}
			for i, want := range tc.wantErrs {
				if want == nil && errs[i] != nil || want != nil && !errors.Is(errs[i], want) {
					t.Fatalf("message %d: error %v, want %v", i, errs[i], want)
				}
				if want != nil && datas[i] != nil {
					t.Fatalf("message %d: data %q with error", i, datas[i])
				}
			}
		})
	}
}

func TestDeflateReset(t *testing.T) {
	payloads := deflateStream(t, true, chatMsgs[1], chatMsgs[1])
	in := deflateFrames(payloads, false)
	p := NewParser(decode.S2C, deflateExt, Options{})
	first, _ := feedAll(p, in)
	p.Reset()
	second, err := feedAll(p, in)
	sameResult(t, "after Reset", first, second, nil, err)
	if len(second) != 2 || second[1].Err != "" {
		t.Fatalf("Reset kept a stale window: %v", second)
	}
}
