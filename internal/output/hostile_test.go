package output

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe/termsafetest"
)

// Every string of every kind of event comes from the wire or may quote
// it; none may reach the terminal raw, in either color setting.
func TestTextNeutralisesEveryField(t *testing.T) {
	kinds := []event.Kind{event.KindPacket, event.KindSession, event.KindHTTP, event.KindFault, event.KindError, event.KindDrop, "odd"}
	for _, color := range []bool{false, true} {
		for _, k := range kinds {
			for _, typ := range []string{"", "EVENT", "ACK"} {
				t.Run(string(k)+"/"+typ, func(t *testing.T) {
					var ev event.Event
					termsafetest.Fill(&ev)
					ev.TS, ev.Kind, ev.Type = time.Unix(0, 0), k, typ
					ev.Action = "open"
					var buf bytes.Buffer
					w := NewText(&buf, color)
					if err := w.Write(&ev); err != nil {
						t.Fatal(err)
					}
					w.Flush()
					out := strings.TrimSuffix(buf.String(), "\n")
					if k != event.KindFault && strings.Contains(out, "\n") {
						t.Errorf("one event gave several lines:\n%s", out)
					}
					if err := termsafetest.Audit(out); err != nil {
						t.Errorf("%v\nline: %q", err, out)
					}
					if k != event.KindDrop && k != "odd" && !strings.Contains(out, termsafetest.Visible) {
						t.Errorf("escaped payload %s not shown: %q", termsafetest.Visible, out)
					}
				})
			}
		}
	}
}

// JSON escaping already neutralises control characters; C1 and bidi
// runes may stay raw inside a JSON string, which is valid JSON, so the
// line must stay valid JSON and keep the values.
func TestJSONLineWithHostileFieldsIsValid(t *testing.T) {
	var ev event.Event
	termsafetest.Fill(&ev)
	ev.TS, ev.Kind = time.Unix(0, 0), event.KindPacket
	var buf bytes.Buffer
	w := NewJSON(&buf)
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	line := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if bytes.ContainsAny(line, "\x1b\x07\r\n\t") {
		t.Errorf("raw C0 in the JSON line: %q", line)
	}
	var back map[string]any
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatalf("not JSON: %v\n%q", err, line)
	}
	if !strings.Contains(back["nsp"].(string), "\x1b]2;PWNED") {
		t.Errorf("nsp lost its value: %q", back["nsp"])
	}
}

// A peer must not hide an event from --json by nesting its args deeper
// than encoding/json allows: the event gets its line, args as a string
// and an error, and the writer reports no failure.
func TestJSONDeeplyNestedArgsStillWritten(t *testing.T) {
	deep := "[" + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "]"
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		ev   event.Event
	}{
		{"deep args", event.Event{Kind: event.KindPacket, Type: "EVENT", Event: "deep", Args: json.RawMessage(deep)}},
		{"deep args and NaN", event.Event{Kind: event.KindPacket, Type: "ACK", Args: json.RawMessage(deep), AckMs: &nan}},
		{"year 12000", event.Event{Kind: event.KindPacket, Args: json.RawMessage(deep), Error: "earlier"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			if ev.TS.IsZero() {
				ev.TS = time.Unix(0, 0)
			}
			if tc.name == "year 12000" {
				ev.TS = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			var buf bytes.Buffer
			w := NewJSON(&buf)
			if err := w.Write(&ev); err != nil {
				t.Fatalf("Write: %v", err)
			}
			w.Flush()
			var back struct {
				Kind  string `json:"kind"`
				Event string `json:"event"`
				Args  string `json:"args"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("line is not JSON: %v\n%.200s", err, buf.String())
			}
			if back.Args != deep || !strings.Contains(back.Error, "not encodable") || back.Kind != "packet" || back.Event != tc.ev.Event {
				t.Errorf("got kind %q event %q error %q args %d bytes", back.Kind, back.Event, back.Error, len(back.Args))
			}
			if tc.ev.Error != "" && !strings.HasPrefix(back.Error, tc.ev.Error+"; ") {
				t.Errorf("the event's own error was lost: %q", back.Error)
			}
		})
	}
}

// A msgpack ack id above MaxInt64 is shown exactly, never clamped or
// negative, on both JSON paths and in the text line.
func TestUnsignedAckIDShownExactly(t *testing.T) {
	id := int64(-1)                                 // the bits of 2^64-1
	for _, args := range []string{`["x"]`, `[1,`} { // fast path, encoding/json fallback
		ev := event.Event{TS: time.Unix(0, 0), Kind: event.KindPacket, Type: "EVENT", Event: "e", ID: &id, IDUnsigned: true, Args: json.RawMessage(args)}
		var jb, tb bytes.Buffer
		jw, tw := NewJSON(&jb), NewText(&tb, false)
		if err := jw.Write(&ev); err != nil {
			t.Fatal(err)
		}
		tw.Write(&ev)
		jw.Flush()
		tw.Flush()
		if !strings.Contains(jb.String(), `"id":18446744073709551615`) || !json.Valid(bytes.TrimSpace(jb.Bytes())) {
			t.Errorf("json line %q lacks the exact id", jb.String())
		}
		if !strings.Contains(tb.String(), "id=18446744073709551615") {
			t.Errorf("text line %q lacks the exact id", tb.String())
		}
	}
}
