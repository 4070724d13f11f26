package ws

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/decode"
)

// got is a comparable copy of a Message (Data is only valid inside emit).
type got struct {
	Op         byte
	Data       string
	Compressed bool
	Masked     bool
	WireLen    int
	Frames     int
	PayloadLen int
	Code       int
	Reason     string
	Err        string
}

func (g got) String() string {
	d := g.Data
	if len(d) > 40 {
		d = fmt.Sprintf("%s…(%d bytes)", d[:40], len(g.Data))
	}
	return fmt.Sprintf("{op=%d data=%q comp=%v masked=%v wire=%d frames=%d plen=%d code=%d reason=%q err=%q}",
		g.Op, d, g.Compressed, g.Masked, g.WireLen, g.Frames, g.PayloadLen, g.Code, g.Reason, g.Err)
}

func snap(m *Message) got {
	g := got{
		Op: m.Opcode, Data: string(m.Data), Compressed: m.Compressed, Masked: m.Masked,
		WireLen: m.WireLen, Frames: m.Frames, PayloadLen: m.PayloadLen,
		Code: m.CloseCode, Reason: m.CloseReason,
	}
	if m.Err != nil {
		g.Err = m.Err.Error()
	}
	return g
}

// feedAll feeds the chunks in order and returns the messages and the error of
// the last Feed (later Feeds after a fatal error must return the same one).
func feedAll(p *Parser, chunks ...[]byte) ([]got, error) {
	var out []got
	var err error
	for _, c := range chunks {
		if e := p.Feed(c, func(m *Message) { out = append(out, snap(m)) }); e != nil {
			err = e
		}
	}
	return out, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sameResult compares two parses of one stream.
func sameResult(t *testing.T, what string, wantMsgs, gotMsgs []got, wantErr, gotErr error) {
	t.Helper()
	if errString(wantErr) != errString(gotErr) {
		t.Fatalf("%s: error %q, want %q", what, errString(gotErr), errString(wantErr))
	}
	if len(wantMsgs) != len(gotMsgs) {
		t.Fatalf("%s: %d messages, want %d\n got %v\nwant %v", what, len(gotMsgs), len(wantMsgs), gotMsgs, wantMsgs)
	}
	for i := range wantMsgs {
		if wantMsgs[i] != gotMsgs[i] {
			t.Fatalf("%s: message %d\n got %v\nwant %v", what, i, gotMsgs[i], wantMsgs[i])
		}
	}
}

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frames concatenates frames built by AppendFrame.
type fr struct {
	op     byte
	fin    bool
	rsv1   bool
	masked bool
	data   []byte
}

func build(frames ...fr) []byte {
	var b []byte
	for i, f := range frames {
		var k *[4]byte
		if f.masked {
			key := testKey
			key[0] += byte(i) // vary the key per frame
			k = &key
		}
		b = AppendFrame(b, f.op, f.fin, f.rsv1, k, f.data)
	}
	return b
}

// deflateStream compresses msgs the way a permessage-deflate sender does:
// with takeover, one flate.Writer for all of them; without, a fresh
// window per message. Each result has the trailing 00 00 ff ff stripped.
func deflateStream(t testing.TB, takeover bool, msgs ...[]byte) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		if !takeover {
			w.Reset(&buf)
		}
		buf.Reset()
		if _, err := w.Write(m); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
			t.Fatalf("flush output % x lacks the sync marker", b)
		}
		out = append(out, bytes.Clone(b[:len(b)-4]))
	}
	return out
}

func mustUndecodable(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substr)
	}
	var de *decode.Error
	if !errors.As(err, &de) || de.Layer != "ws" {
		t.Fatalf("error %v is not a ws *decode.Error", err)
	}
	if !errors.Is(err, decode.ErrUndecodable) {
		t.Fatalf("error %v does not wrap ErrUndecodable", err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}
