package tui

import (
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // "" for valid
	}{
		{"", ""},
		{"   ", ""},
		{"event:chat nsp:/admin dir:c2s transport:ws type:EVENT sid:ab", ""},
		{"-type:ACK|BINARY_ACK", ""},
		{"http://example.com/x", ""},
		{`"evnt:chat"`, ""},
		{"/a b/ c", ""},
		{`/a\/b/`, ""},
		{"evnt:chat", `unknown field "evnt"`},
		{"dir:up", `bad direction "up"`},
		{"transport:sse", `bad transport "sse"`},
		{"type:PACKET", `bad type "PACKET"`},
		{"event:", "empty value"},
		{"event:a||b", "empty alternative"},
		{`"open`, "unterminated quote at column 1"},
		{"x /open", "unterminated /regex/ at column 3"},
		{"/[a/", "bad regex"},
		{"chat nsp:x evnt:y", `"evnt:y" at column 12`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseFilter(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	chat := pkt(0, "AbCd1234", "c2s", "websocket", "message", "EVENT", "/", "chat", `["Hello","World"]`)
	admin := pkt(0, "Zz99", "s2c", "polling", "message", "BINARY_ACK", "/admin", "", `[{"ok":true}]`)
	probe := pkt(0, "AbCd1234", "c2s", "websocket", "ping", "", "", "", "")
	probe.Data = "probe"
	decErr := event.Event{Kind: event.KindError, Sid: "Zz99", Dir: "s2c", Transport: "polling", Error: "bad packet"}
	all := map[string]*event.Event{"chat": &chat, "admin": &admin, "probe": &probe, "err": &decErr}
	tests := []struct {
		filter string
		want   string // names that match, sorted, space separated
	}{
		{"", "admin chat err probe"},
		{"event:chat", "chat"},
		{"event:chat|other", "chat"},
		{"nsp:/", "chat"},
		{"nsp:/admin", "admin"},
		{"dir:s2c", "admin err"},
		{"transport:ws", "chat probe"},
		{"transport:poll", "admin err"},
		{"type:event", "chat"},
		{"type:BINARY_ACK", "admin"},
		{"type:ping", "probe"},
		{"type:error", "err"},
		{"sid:Ab", "chat probe"},
		{"sid:b", ""},
		{"hello", "chat"},
		{"CHAT", "chat"},
		{"probe", "probe"},
		{`"ok":true`, "admin"},
		{`/W.rld/`, "chat"},
		{`/^\[\{/`, "admin"},
		{"-dir:s2c", "chat probe"},
		{"-type:ping transport:ws", "chat"},
		{"dir:c2s hello", "chat"},
		{"dir:c2s -hello", "probe"},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range []string{"admin", "chat", "err", "probe"} {
				if f.Match(all[name]) {
					got = append(got, name)
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("matched %q, want %q", g, tc.want)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"event:chat -dir:s2c", `/a(b/`, `"x`, "type:EVENT|ACK", "-", "a:"} {
		f.Add(s)
	}
	ev := pkt(0, "s", "c2s", "websocket", "message", "EVENT", "/", "chat", `["x"]`)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err == nil {
			flt.Match(&ev)
		}
	})
}
