package active

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/ws"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// takeoverSender compresses messages the way a permessage-deflate peer
// with context takeover does: one flate stream, a sync flush per message.
type takeoverSender struct {
	buf bytes.Buffer
	fw  *flate.Writer
}

func (s *takeoverSender) frame(payload string, mask bool) []byte {
	if s.fw == nil {
		s.fw, _ = flate.NewWriter(&s.buf, flate.BestCompression)
	}
	s.buf.Reset()
	s.fw.Write([]byte(payload))
	s.fw.Flush()
	p := bytes.TrimSuffix(s.buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	var key *[4]byte
	if mask {
		key = &[4]byte{1, 2, 3, 4}
	}
	return ws.AppendFrame(nil, ws.OpText, true, true, key, p)
}

type upper struct{}

func (upper) Name() string { return "upper" }
func (upper) OnMessage(c *Conn, m *Message) {
	if bytes.Contains(m.Raw, []byte("second")) {
		m.Replace(bytes.ToUpper(m.Raw), false, "upper")
	}
}

// A direction that switches to message mode mid-stream, on a connection
// with permessage-deflate and context takeover, keeps decoding what the
// sender compressed against earlier messages, and the receiver decodes
// everything sioproxy sends, edited or not.
func TestLateSwitchWithContextTakeover(t *testing.T) {
	ext := "permessage-deflate"
	e := New(Options{})
	exts, _ := ws.ParseExtensions(ext)
	tap := ws.NewParser(decode.C2S, exts, ws.Options{})
	recv := ws.NewParser(decode.C2S, exts, ws.Options{})
	var got []string
	var out bytes.Buffer
	w := e.OpenWS(WSConfig{
		ID: 1, URL: "/socket.io/?EIO=4&transport=websocket&sid=x", Extensions: ext,
		TapParser: func(decode.Dir) *ws.Parser { return tap },
		Observe: func(dir decode.Dir, b []byte, a *obs.Active) {
			if dir == decode.C2S {
				tap.Feed(b, func(*ws.Message) {})
			}
		},
		Push:     func(obs.Obs) {},
		Write:    [2]io.Writer{&out, io.Discard},
		Teardown: func() {},
	})
	defer w.Close()
	var snd takeoverSender
	msgs := []string{`42["first","hello hello hello"]`, `42["second","hello hello hello"]`, `42["third","hello hello hello second"]`,
		`42["fourth","hello hello hello"]`} // unchanged, but compressed against the edited ones
	if err := w.Relay(decode.C2S, snd.frame(msgs[0], true)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Register(upper{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[1:] {
		if err := w.Relay(decode.C2S, snd.frame(m, true)); err != nil {
			t.Fatal(err)
		}
	}
	if err := recv.Feed(out.Bytes(), func(m *ws.Message) {
		if m.Err != nil {
			t.Fatalf("receiver: %v", m.Err)
		}
		got = append(got, string(m.Data))
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{msgs[0], `42["SECOND","HELLO HELLO HELLO"]`, `42["THIRD","HELLO HELLO HELLO SECOND"]`, msgs[3]}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("receiver got %q\nwant %q", got, want)
	}
}
