package session

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
)

// A text frame or polling body that is not UTF-8 is reported as a decode
// error quoting its raw bytes, and still decoded, with U+FFFD in place of
// the bad bytes, so every event holds valid UTF-8.
func TestInvalidUTF8TextIsReportedAndRepaired(t *testing.T) {
	const bad = "42[\"chat\",\"a\xff\xfeb\"]"
	for _, tc := range []struct {
		name string
		seq  []obs.Obs
	}{
		{"websocket text frame", []obs.Obs{wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"), wsText(1, 1, s2c, open4ws), wsText(2, 1, c2s, "40"), wsText(3, 1, c2s, bad)}},
		{"polling body", []obs.Obs{get(0, 1, q4, 200, open4), post(2, 3, q4sid, "40\x1e"+bad)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := run(NewTracker(Options{}), tc.seq)
			var errs, chats []event.Event
			for _, ev := range evs {
				switch {
				case ev.Kind == event.KindError:
					errs = append(errs, ev)
				case ev.Event == "chat":
					chats = append(chats, ev)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error, "not valid UTF-8 (byte 0xff)") {
				t.Fatalf("decode errors %+v, want one naming the invalid byte", errs)
			}
			if !strings.Contains(errs[0].Error, base64.StdEncoding.EncodeToString([]byte(bad))) {
				t.Errorf("error does not quote the raw bytes in base64: %s", errs[0].Error)
			}
			if len(chats) != 1 {
				t.Fatalf("got %d chat events, want the packet still decoded", len(chats))
			}
			if got := string(chats[0].Args); got != `["a`+"\uFFFD\uFFFD"+`b"]` || !utf8.ValidString(got) {
				t.Errorf("args %q, want U+FFFD in place of the bad bytes", got)
			}
			// A WebSocket packet keeps its frame's bytes; a polling
			// packet's are cut from the repaired body, and the error
			// holds the original.
			if tc.name == "websocket text frame" && !strings.Contains(string(chats[0].Raw), "\xff\xfe") {
				t.Errorf("raw wire bytes were changed: %q", chats[0].Raw)
			}
		})
	}
}
