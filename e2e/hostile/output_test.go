package hostile

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/sioproxy/sioproxy/internal/event"
)

// TestJSONDeeplyNestedEventKeepsItsLine: args nested 10,000 deep, from the
// upstream and from the client, each still get a --json line (args as a
// string, an error saying why), the bytes pass unchanged, and sioproxy
// exits 0 when stopped.
func TestJSONDeeplyNestedEventKeepsItsLine(t *testing.T) {
	deep := []byte(`42["deep",` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]`)
	up := startUpstream(t, &upstream{Sid: "deepSID", PollBody: deep})
	sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--json")
	c := newClient(t, sp.url)
	c.handshake()
	st, got, err := c.do("GET", "&sid=deepSID", nil)
	if err != nil || st != 200 || !bytes.Equal(got, deep) {
		t.Fatalf("poll: %d %v, body changed in transit (%d bytes, want %d)", st, err, len(got), len(deep))
	}
	if st, _, err := c.do("POST", "&sid=deepSID", deep); err != nil || st != 200 {
		t.Fatalf("post: %d %v", st, err)
	}
	if !bytes.Equal(up.lastPost(), deep) {
		t.Fatal("POST body changed in transit")
	}
	ls := sp.stdout.waitFor(t, "both deep events", func(ls []string) bool {
		return strings.Count(strings.Join(ls, "\n"), `"event":"deep"`) >= 2
	})
	var dirs []string
	for _, ev := range jsonEvents(t, ls) {
		if ev.Event != "deep" {
			continue
		}
		dirs = append(dirs, ev.Dir)
		var args string
		if err := jsonUnmarshal(ev.Args, &args); err != nil || args != "["+string(deep[len(`42["deep",`):len(deep)-1])+"]" {
			t.Errorf("%s: args not kept as a string of the wire's JSON: %.80q (%v)", ev.Dir, ev.Args, err)
		}
		if !strings.Contains(ev.Error, "not encodable") {
			t.Errorf("%s: error %q does not say why args are a string", ev.Dir, ev.Error)
		}
	}
	if len(dirs) != 2 {
		t.Errorf("deep events in directions %v, want s2c and c2s", dirs)
	}
	sp.signal(syscall.SIGINT)
	if code := sp.wait(t); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, tail(sp.stderr.lines(), 10))
	}
}

// TestInvalidUTF8TextFrames: text frames with bytes 0xFF 0xFE, both ways
// over a WebSocket, are relayed unchanged, reported as decode errors, and
// every --json line stays valid UTF-8.
func TestInvalidUTF8TextFrames(t *testing.T) {
	bad := []byte("42[\"chat\",\"a\xff\xfeb\"]")
	up := startUpstream(t, &upstream{Sid: "utf8SID", WSFrames: [][]byte{[]byte("40"), bad}})
	sp := startSioproxy(t, up.srv.URL, stdoutMode{}, "--json")
	ws := newClient(t, sp.url).dialWS()
	for i, want := range [][]byte{up.openPacket(), []byte("40"), bad} {
		typ, got, err := ws.ReadMessage()
		if err != nil || typ != websocket.TextMessage || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %v %v, changed in transit: %q, want %q", i, typ, err, got, want)
		}
	}
	ws.WriteMessage(websocket.TextMessage, []byte("40"))
	ws.WriteMessage(websocket.TextMessage, bad)
	ls := sp.stdout.waitFor(t, "both chat events", func(ls []string) bool {
		return strings.Count(strings.Join(ls, "\n"), `"event":"chat"`) >= 2
	})
	ws.Close()
	<-up.wsClosed
	up.mu.Lock()
	gotUp := up.wsGot
	up.mu.Unlock()
	if len(gotUp) < 2 || !bytes.Equal(gotUp[1], bad) {
		t.Errorf("upstream got %q, want the bad frame unchanged", gotUp)
	}
	var errs, chats []event.Event
	for i, ev := range jsonEvents(t, ls) {
		if !utf8.ValidString(ls[i]) {
			t.Errorf("line %d is not UTF-8: %q", i, ls[i])
		}
		switch {
		case ev.Kind == event.KindError && strings.Contains(ev.Error, "not valid UTF-8"):
			errs = append(errs, ev)
		case ev.Event == "chat":
			chats = append(chats, ev)
		}
	}
	if len(errs) != 2 || len(chats) != 2 {
		t.Fatalf("%d UTF-8 errors and %d chat events, want 2 and 2:\n%s", len(errs), len(chats), strings.Join(ls, "\n"))
	}
	for _, ev := range chats {
		if !strings.Contains(string(ev.Args), "\uFFFD") {
			t.Errorf("%s chat args %q lack U+FFFD", ev.Dir, ev.Args)
		}
	}
}
