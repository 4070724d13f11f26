package tui

import (
	"net/http"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/obs"
	"github.com/sioproxy/sioproxy/internal/termsafe/termsafetest"
)

// hostileSource serves events, session rows, headers and stats whose every
// string holds the terminal-injection payload.
type hostileSource struct {
	*BusSource
	row SessionRow
}

func (s *hostileSource) Sessions() []SessionRow { return []SessionRow{s.row} }

func (s *hostileSource) Exchange(uint64) (*obs.HTTPExchange, bool) {
	h := http.Header{termsafetest.Payload: {termsafetest.Payload}}
	return &obs.HTTPExchange{ReqHeader: h, RespHeader: h}, true
}

func (s *hostileSource) WSOpen(uint64) (*obs.WSOpen, bool) {
	h := http.Header{termsafetest.Payload: {termsafetest.Payload}}
	return &obs.WSOpen{ReqHeader: h, RespHeader: h}, true
}

func hostileEvents() []event.Event {
	var evs []event.Event
	for i, k := range []event.Kind{event.KindSession, event.KindHTTP, event.KindPacket, event.KindPacket, event.KindError, event.KindFault} {
		var ev event.Event
		termsafetest.Fill(&ev)
		ev.TS, ev.Kind, ev.Exchange, ev.Action = at(i), k, 7, "open"
		if i == 3 {
			ev.Type, ev.Exchange, ev.Conn = "EVENT", 0, 3
		}
		if i == 2 {
			ack := int64(3)
			ev.Type, ev.ID = "ACK", &ack // its row names the event it answers: ev.AckEvent
		}
		ev.Raw, ev.Buffers = []byte(termsafetest.Payload), [][]byte{[]byte(termsafetest.Payload)}
		evs = append(evs, ev)
	}
	return evs
}

// No screen of the UI lets wire text reach the terminal raw: the only
// escape sequences are the UI's own colors, and the payload is visible,
// escaped.
func TestUINeutralisesWireText(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	var st Stats
	termsafetest.Fill(&st)
	st.ReplayTotal = 0
	var row SessionRow
	termsafetest.Fill(&row)
	for _, keys := range [][]string{
		nil,
		{"enter"},
		{"up", "enter"},
		{"up", "up", "enter"},
		{"tab"},
		{"tab", "enter"},
		{"shift+tab", "enter"},
		{"p"},
		{"?"},
	} {
		t.Run(strings.Join(keys, "+"), func(t *testing.T) {
			bus, _ := newTestSource(hostileEvents(), st)
			src := &hostileSource{BusSource: bus, row: row}
			opts := testOptions(src)
			opts.NoColor = false
			m := New(opts)
			m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
			m.Update(tickMsg{now: at(1000)})
			press(m, keys...)
			out := m.View()
			if err := termsafetest.Audit(out); err != nil {
				t.Fatalf("%v\nscreen:\n%s", err, out)
			}
			if keys == nil && !strings.Contains(out, `/x\x1b`) {
				t.Errorf("escaped payload not visible:\n%s", out)
			}
			if len(keys) > 0 && keys[len(keys)-1] == "enter" && keys[0] != "shift+tab" && !strings.Contains(out, termsafetest.Visible) {
				t.Errorf("escaped payload %s not visible in the detail:\n%s", termsafetest.Visible, out)
			}
		})
	}
}

// BenchmarkNeutralise is the per-event cost the UI pays at ingest for a
// clean event, the common case: no allocation.
func BenchmarkNeutralise(b *testing.B) {
	ev := pkt(0, "AbCdEf0123456789", "c2s", "websocket", "message", "EVENT", "/chat", "message", `["hello",{"user":"alice","text":"how are you?","n":42}]`)
	b.ReportAllocs()
	for b.Loop() {
		e := ev
		neutralise(&e)
	}
}
