package session

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/output"
)

// jsonLine is the --json line of ev.
func jsonLine(t *testing.T, ev event.Event) string {
	t.Helper()
	var buf bytes.Buffer
	w := output.NewJSON(&buf)
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return buf.String()
}

// The tracker marks Args compact only where it is, and the --json line is
// the same whether the writer copies Args or scans it.
func TestArgsCompact(t *testing.T) {
	att := bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 64<<10/3+1)[:64<<10]
	b64 := `{"_binary":"` + base64.StdEncoding.EncodeToString(att) + `"}`
	ws := func(msgs ...obs.Obs) []obs.Obs {
		return append([]obs.Obs{
			wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"),
			wsText(1, 1, s2c, open4ws),
			wsText(2, 1, c2s, "40"),
		}, msgs...)
	}
	tests := []struct {
		name     string
		seq      []obs.Obs
		typ      string
		compact  bool
		wantArgs string
	}{
		{"compact event", ws(wsText(3, 1, c2s, `42["ev",{"a":1},"x y"]`)), "EVENT", true, `[{"a":1},"x y"]`},
		{"python-socketio spacing", ws(wsText(3, 1, c2s, `42["ev", {"a": 1}]`)), "EVENT", false, `[{"a":1}]`},
		{"event without args", ws(wsText(3, 1, c2s, `42["ev"]`)), "EVENT", true, `[]`},
		{"numeric event name", ws(wsText(3, 1, c2s, `42[7,true]`)), "EVENT", true, `[true]`},
		{"ack", ws(wsText(3, 1, s2c, `433["ok",null]`)), "ACK", true, `["ok",null]`},
		{"connect auth", ws(wsText(3, 1, c2s, `40{"token":"t"}`)), "CONNECT", true, `{"token":"t"}`},
		{"connect auth spaced", ws(wsText(3, 1, c2s, "40{ \"token\":\"t\"\n}")), "CONNECT", false, `{"token":"t"}`},
		{"binary event 64 KiB", ws(
			wsText(3, 1, c2s, `451-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`),
			wsBin(4, 1, c2s, att),
		), "BINARY_EVENT", true, `[{"name":"a.bin","data":` + b64 + `}]`},
		{"binary event spaced", ws(
			wsText(3, 1, c2s, `451-["upload", {"_placeholder":true,"num":0}]`),
			wsBin(4, 1, c2s, []byte{1, 2, 3}),
		), "BINARY_EVENT", false, `[{"_binary":"AQID"}]`},
		{"msgpack event", ws(
			wsBin(3, 1, c2s, []byte("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa5hello\xa3you")),
		), "EVENT", true, `["you"]`},
		{"EIO3 connect query", []obs.Obs{
			get(0, 5, "/socket.io/?EIO=3&transport=polling", 200, v3len(open3)),
			post(10, 12, q3sid+"&t=b", v3len("40/admin?token=1234&uid=a%20b,")),
		}, "CONNECT", true, `{"token":"1234","uid":"a b"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev *event.Event
			evs := run(NewTracker(Options{}), tc.seq)
			for i := range evs {
				if evs[i].Type == tc.typ && (tc.typ != "CONNECT" || evs[i].Dir == "c2s") && len(evs[i].Args) > 0 {
					ev = &evs[i]
				}
			}
			if ev == nil {
				t.Fatalf("no %s event with args among %d events", tc.typ, len(evs))
			}
			if ev.ArgsCompact != tc.compact {
				t.Fatalf("ArgsCompact = %v, want %v for %.80s", ev.ArgsCompact, tc.compact, ev.Args)
			}
			if ev.ArgsCompact {
				var buf bytes.Buffer
				if err := json.Compact(&buf, ev.Args); err != nil || !bytes.Equal(buf.Bytes(), ev.Args) {
					t.Fatalf("marked compact but json.Compact gives %.80s, %v", buf.Bytes(), err)
				}
			}
			got := jsonLine(t, *ev)
			scanned := *ev
			scanned.ArgsCompact = false
			if want := jsonLine(t, scanned); got != want {
				t.Fatalf("--json line differs from the scanning writer's:\n got %.200s\nwant %.200s", got, want)
			}
			var line struct{ Args json.RawMessage }
			if err := json.Unmarshal([]byte(got), &line); err != nil {
				t.Fatal(err)
			}
			if string(line.Args) != tc.wantArgs {
				t.Fatalf("args on the --json line %.200s, want %.200s", line.Args, tc.wantArgs)
			}
			if strings.Contains(got, "ArgsCompact") || strings.Contains(got, "args_compact") {
				t.Fatalf("the flag leaked into the line: %.200s", got)
			}
		})
	}
}

// FuzzArgsCompact: whatever a client sends, Args marked compact are exactly
// what json.Compact makes of them. The input is one text message and,
// when bin is not empty, one binary message after it.
func FuzzArgsCompact(f *testing.F) {
	f.Add(`42["ev",{"a":1}]`, []byte(nil))
	f.Add(`42["ev", {"a": 1}]`, []byte(nil))
	f.Add(`42[1,"a\"],[",{"b":[]}]`, []byte(nil))
	f.Add(`40{"t":"x"}`, []byte(nil))
	f.Add(`451-["up",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":0}]]`, []byte{0, 1, 2})
	f.Add(`2`, []byte("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa5hello\xa3you"))
	f.Fuzz(func(t *testing.T, text string, bin []byte) {
		seq := []obs.Obs{
			wsOpen(0, 1, "/socket.io/?EIO=4&transport=websocket"),
			wsText(1, 1, s2c, open4ws),
			wsText(2, 1, c2s, "40"),
			wsText(3, 1, c2s, text),
		}
		if len(bin) > 0 {
			seq = append(seq, wsBin(4, 1, c2s, bin))
		}
		for _, ev := range run(NewTracker(Options{}), seq) {
			if !ev.ArgsCompact {
				continue
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, ev.Args); err != nil || !bytes.Equal(buf.Bytes(), ev.Args) {
				t.Fatalf("%s args %q marked compact; json.Compact gives %q, %v", ev.Type, ev.Args, buf.Bytes(), err)
			}
		}
	})
}
