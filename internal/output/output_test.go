package output

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }
func at(ms int) time.Time {
	return time.Date(2026, 3, 1, 12, 3, 4, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// sample covers every kind and the packet shapes the text writer formats
// differently.
func sample() []event.Event {
	const sid = "a1B2c3d4e5f6g7h8AAAB"
	return []event.Event{
		{TS: at(0), Kind: event.KindHTTP, Transport: "polling", Method: "GET", Path: "/socket.io/?EIO=4&transport=polling&t=N8hyd6w", Status: 200, DurationMs: f64(12.04), Sid: sid, EIO: 4, Client: "127.0.0.1:50000"},
		{TS: at(0), Kind: event.KindSession, Action: "open", Sid: sid, Transport: "polling", EIO: 4, Client: "127.0.0.1:50000", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000},
		{TS: at(0), Kind: event.KindPacket, Sid: sid, Transport: "polling", Dir: "s2c", EIO: 4, Engine: "open", Data: `{"sid":"a1B2c3d4e5f6g7h8AAAB","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, Size: 105},
		{TS: at(5), Kind: event.KindPacket, Sid: sid, Transport: "polling", Dir: "c2s", EIO: 4, Engine: "message", Size: 2, Type: "CONNECT", Nsp: "/chat", Args: raw(`{"token":"123"}`)},
		{TS: at(9), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "ping", Data: "probe", Size: 6},
		{TS: at(10), Kind: event.KindSession, Action: "upgrade", Sid: sid, Transport: "websocket", EIO: 4},
		{TS: at(11), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "message", Size: 22, Type: "EVENT", Nsp: "/chat", Event: "message", Args: raw(`["hi"]`), ID: i64(3)},
		{TS: at(13), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "s2c", EIO: 4, Engine: "message", Size: 15, Type: "ACK", Nsp: "/chat", Args: raw(`["ok"]`), ID: i64(3), AckMs: f64(2.1)},
		{TS: at(14), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "s2c", EIO: 4, Engine: "message", Size: 48, Type: "BINARY_EVENT", Nsp: "/", Event: "baz", Args: raw(`[{"_binary":"AQIDBA=="}]`), Attachments: 1, Binary: true},
		{TS: at(15), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "s2c", EIO: 4, Engine: "ping", Size: 1},
		{TS: at(16), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "pong", Size: 1, RTTMs: f64(1.25)},
		{TS: at(17), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "message", Data: "line1\nline2\x1b[2J", Size: 17},
		{TS: at(18), Kind: event.KindPacket, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Engine: "message", Size: 300, Type: "EVENT", Nsp: "/", Event: "big", Args: raw(`["` + strings.Repeat("é", 150) + `"]`)},
		{TS: at(20), Kind: event.KindError, Sid: sid, Transport: "websocket", Dir: "c2s", EIO: 4, Error: "sio: unknown packet type 9 (offset 0)"},
		{TS: at(21), Kind: event.KindFault, Sid: sid, Fault: &event.Fault{Code: "sticky_session_missing", Catalog: "C1", Severity: event.Error, Summary: "GET for live session a1B2c3 answered 400 Session ID unknown by http://b:3000", Evidence: []string{"open by http://a:3000 at 12:03:04.000", "GET #2 to http://b:3000"}, Fix: "Enable sticky sessions.", Count: 2, First: at(0), Last: at(21)}},
		{TS: at(1500), Kind: event.KindSession, Action: "close", Sid: sid, Transport: "websocket", EIO: 4, Reason: "transport close", By: "client", Code: 1000},
		{TS: at(1501), Kind: event.KindHTTP, Method: "GET", Path: "/app.js", Status: 404, DurationMs: f64(1500)},
		{TS: at(1502), Kind: event.KindHTTP, Method: "POST", Path: "/socket.io/?EIO=4&transport=polling&sid=x", DurationMs: f64(0.4), Error: "upstream_reset: connection reset by peer"},
		{TS: at(1503), Kind: event.KindDrop, Dropped: 12, Where: "observations"},
	}
}

func TestWriters(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		new    func(*bytes.Buffer) Writer
	}{
		{"json", "sample.jsonl", func(b *bytes.Buffer) Writer { return NewJSON(b) }},
		{"text", "sample.txt", func(b *bytes.Buffer) Writer { return NewText(b, false) }},
		{"text color", "sample_color.txt", func(b *bytes.Buffer) Writer { return NewText(b, true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := tc.new(&buf)
			for _, ev := range sample() {
				if err := w.Write(&ev); err != nil {
					t.Fatal(err)
				}
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes before Flush; writers must buffer per batch", buf.Len())
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, buf.Bytes())
		})
	}
}

// TestJSONRoundTrip checks the schema side of the JSON writer: every line
// parses back into the event it came from, and empty fields are absent.
func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSON(&buf)
	evs := sample()
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	for i, line := range lines {
		var got event.Event
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !got.TS.Equal(evs[i].TS) || got.Kind != evs[i].Kind || got.Sid != evs[i].Sid {
			t.Errorf("line %d: got ts=%v kind=%s sid=%s, want %v %s %s", i, got.TS, got.Kind, got.Sid, evs[i].TS, evs[i].Kind, evs[i].Sid)
		}
		var m map[string]any
		json.Unmarshal([]byte(line), &m)
		for k, v := range m {
			if v == "" || v == float64(0) || v == false {
				t.Errorf("line %d: empty field %q not omitted", i, k)
			}
		}
	}
}

func TestAppendClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\nb\tc", 10, `a\nb\tc`},
		{"\x1b[31m", 10, `\x1b[31m`},
		{"a\u202eb\u0085", 20, `a\u202eb\u0085`},
		{"héllo", 2, "h…"},
		{"héllo", 3, "hé…"},
		{"bad\xffutf8", 20, `bad\xffutf8`},
		{"😀😀", 5, "😀…"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := string(appendClean(nil, tc.in, tc.max)); got != tc.want {
				t.Errorf("appendClean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func BenchmarkText(b *testing.B) {
	evs := sample()
	w := NewText(discard{}, false)
	b.ReportAllocs()
	for b.Loop() {
		for i := range evs {
			w.Write(&evs[i])
		}
		w.Flush()
	}
}

func BenchmarkJSON(b *testing.B) {
	evs := sample()
	w := NewJSON(discard{})
	b.ReportAllocs()
	for b.Loop() {
		for i := range evs {
			w.Write(&evs[i])
		}
		w.Flush()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
