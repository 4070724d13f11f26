package output

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
)

// encodingJSON is the reference: what the writer produced before the
// hand-written encoder, and still produces on its fallback path.
func encodingJSON(ev *event.Event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(ev)
	return buf.Bytes(), err
}

func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	evs := sample()
	evs = append(evs,
		event.Event{TS: at(1), Kind: "packet", Data: "ctl\x00\x01\x1f\b\f\"\\ <>& \u2028\u2029 bad\xff\xfe end é😀"},
		event.Event{TS: at(2), Kind: "packet", Args: raw(" [ 1 , -2.5e+3 , \"a b\\n\\u00e9\" , { \"k\" : [ true , false , null ] } , { } , [ ] ] ")},
		event.Event{TS: at(3), Kind: "packet", Args: raw(`{"_binary":"` + strings.Repeat("QUJD", 5000) + `"}`)},
		event.Event{TS: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600)), Kind: "http", DurationMs: f64(1e-7), AckMs: f64(1e21), RTTMs: f64(0)},
		event.Event{TS: at(4), Kind: "fault", Fault: &event.Fault{Code: "c", Summary: "s", Fix: "f"}},
		event.Event{TS: at(5), Kind: "session", Upgrades: []string{}, ID: i64(-7), Dropped: math.MaxUint64, MaxPayload: -1},
		event.Event{TS: at(6), Kind: event.KindInject, Sid: "S", Transport: "websocket", Dir: "c2s", Rule: "drop-pongs=50%", Action: "dropped", Data: "heartbeat pong dropped"},
		event.Event{TS: at(7), Kind: "fault", Fault: &event.Fault{Code: "pong_missing", Catalog: "F1", Summary: "s — injected by --inject drop-pongs", Fix: "f", Injected: "--inject drop-pongs"}},
	)
	for i := range evs {
		want, err := encodingJSON(&evs[i])
		if err != nil {
			t.Fatalf("event %d: reference: %v", i, err)
		}
		got, ok := appendEvent(nil, &evs[i])
		if !ok {
			t.Fatalf("event %d: appendEvent fell back on an event encoding/json handles", i)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestAppendEventFallsBack checks what encoding/json rejects is not
// written by the fast path, and that the writer still gives the event a
// valid line saying what could not be encoded instead of failing.
func TestAppendEventFallsBack(t *testing.T) {
	tests := []struct {
		name string
		ev   event.Event
	}{
		{"NaN", event.Event{TS: at(0), Kind: "http", DurationMs: f64(math.NaN())}},
		{"Inf", event.Event{TS: at(0), Kind: "packet", RTTMs: f64(math.Inf(1))}},
		{"year", event.Event{TS: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "drop"}},
		{"args", event.Event{TS: at(0), Kind: "packet", Args: raw(`[1,`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := appendEvent(nil, &tc.ev); ok {
				t.Fatal("appendEvent accepted it")
			}
			var buf bytes.Buffer
			w := NewJSON(&buf)
			_, encErr := encodingJSON(&tc.ev)
			if encErr == nil {
				t.Fatal("encoding/json accepted it")
			}
			if err := w.Write(&tc.ev); err != nil {
				t.Fatalf("Write error %v, want a line instead", err)
			}
			w.Flush()
			var back map[string]any
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || !strings.Contains(back["error"].(string), "not encodable") || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
				t.Errorf("line %q (%v), want one valid JSON line with an error", buf.String(), err)
			}
		})
	}
}

func TestAppendCompact(t *testing.T) {
	valid := []string{
		`0`, `-0`, `1.5`, `-1e9`, `2E-3`, `1e+2`, `"x"`, `"\u00E9\/\b"`, `true`, `false`, `null`,
		`[]`, `{}`, ` [ ] `, `[1,[2,[3]]]`, `{"a":{"b":[]}}`, "\t{\n\"a\" :\r1 }\n", `"bad utf8 ` + "\xff" + `"`,
		`"0123456789abcdef\"0123456789\\01234567é89abcdef"`, `["0123456789abcdefghij", "k"]`,
	}
	invalid := []string{
		``, ` `, `01`, `-`, `1.`, `1e`, `.5`, `+1`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1,}`,
		`[1 2]`, `"\x"`, "\"0123456789abc\x1fdef\"", `"0123456789abcdefghijkl`, `"\u12G4"`, "\"a\x01\"", `"open`, `tru`, `nul`, `[`, `]`, `1 2`, `{"a":1]`, `[1}`,
		strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1),
	}
	for _, s := range valid {
		t.Run(s, func(t *testing.T) {
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(s)); err != nil {
				t.Fatalf("reference rejects it: %v", err)
			}
			got, ok := appendCompact([]byte("x"), []byte(s))
			if !ok || string(got) != "x"+want.String() {
				t.Fatalf("appendCompact = %q, %v; want %q", got, ok, "x"+want.String())
			}
		})
	}
	for _, s := range invalid {
		t.Run(s, func(t *testing.T) {
			if json.Valid([]byte(s)) {
				t.Fatalf("reference accepts it")
			}
			if _, ok := appendCompact(nil, []byte(s)); ok {
				t.Fatal("appendCompact accepted it")
			}
		})
	}
}

func FuzzAppendCompact(f *testing.F) {
	for _, s := range []string{`[1,"a",{"b":null}]`, ` { "x" : [ 1e3 , -0.5 ] } `, `"\u0041"`, `[01]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := appendCompact(nil, src)
		var want bytes.Buffer
		err := json.Compact(&want, src)
		if ok != (err == nil) {
			t.Fatalf("appendCompact ok=%v, json.Compact err=%v", ok, err)
		}
		if ok && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendCompact = %q, want %q", got, want.Bytes())
		}
	})
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain", "\x00\u2028é\xff")
	f.Fuzz(func(t *testing.T, s, args string) {
		ev := event.Event{TS: at(0), Kind: event.KindPacket, Data: s, Event: args, Args: json.RawMessage(args)}
		want, err := encodingJSON(&ev)
		got, ok := appendEvent(nil, &ev)
		if ok != (err == nil) {
			t.Fatalf("appendEvent ok=%v, encoding/json err=%v", ok, err)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
		// Args the decoder could vouch for come out the same copied.
		var c bytes.Buffer
		if json.Compact(&c, ev.Args) == nil && bytes.Equal(c.Bytes(), ev.Args) {
			ev.ArgsCompact = true
			if copied, _ := appendEvent(nil, &ev); ok && !bytes.Equal(copied, got) {
				t.Fatalf("copied args: got %s\nwant %s", copied, got)
			}
		}
	})
}

func BenchmarkJSONLargeArgs(b *testing.B) {
	ev := event.Event{TS: at(0), Kind: event.KindPacket, Sid: "a1B2c3d4e5f6g7h8AAAB", Transport: "websocket", Dir: "s2c", EIO: 4,
		Engine: "message", Type: "BINARY_ACK", Nsp: "/", ID: i64(1), Args: raw(`[{"_binary":"` + strings.Repeat("QUJD", 65536/3) + `"}]`), Attachments: 1}
	w := NewJSON(discard{})
	b.ReportAllocs()
	b.SetBytes(int64(len(ev.Args)))
	for b.Loop() {
		w.Write(&ev)
		w.Flush()
	}
}
