package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// The active layer's mark is written like encoding/json would, and shown
// on the plain line.
func TestActiveMark(t *testing.T) {
	for _, a := range []*event.Active{
		{Rules: []string{"r1", "r2"}, Original: `42["chat","hi"]`},
		{Injected: true, Rules: []string{"inject"}},
		{Dropped: true, Consumed: true, Reframed: true, Note: "ack 1 \"x\""},
	} {
		ev := event.Event{TS: time.Unix(0, 0).UTC(), Kind: event.KindPacket, Dir: "c2s", Transport: "websocket",
			Engine: "message", Type: "EVENT", Nsp: "/", Event: "chat", Active: a}
		var buf bytes.Buffer
		w := NewJSON(&buf)
		w.Write(&ev)
		w.Flush()
		var back event.Event
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%s: %v", buf.Bytes(), err)
		}
		want, _ := json.Marshal(a)
		got, _ := json.Marshal(back.Active)
		if !bytes.Equal(want, got) || !strings.Contains(buf.String(), `"active":`+string(want)) {
			t.Fatalf("active %s, want %s in %s", got, want, buf.Bytes())
		}
		buf.Reset()
		tw := NewText(&buf, false)
		tw.Write(&ev)
		tw.Flush()
		if !strings.Contains(buf.String(), a.Mark()) {
			t.Fatalf("text line %q lacks %q", buf.String(), a.Mark())
		}
	}
}
