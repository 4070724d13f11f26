package tui

import (
	"encoding/json"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sioproxy/sioproxy/internal/bus"
	"github.com/sioproxy/sioproxy/internal/event"
)

// t0 is in time.Local so the rendered clock does not depend on the
// machine's zone.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.Local)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func id(n int64) *int64      { return &n }
func fms(f float64) *float64 { return &f }

func pkt(ms int, sid, dir, tr, engine, typ, nsp, name string, args string) event.Event {
	ev := event.Event{TS: at(ms), Kind: event.KindPacket, Sid: sid, Dir: dir, Transport: tr, EIO: 4,
		Client: "127.0.0.1:50123", Engine: engine, Type: typ, Nsp: nsp, Event: name}
	if args != "" {
		ev.Args = json.RawMessage(args)
	}
	ev.Size = len(args) + 4
	return ev
}

// demoEvents is a small, varied session: a polling handshake, a probe and
// upgrade, an event with its ack, pings, a binary event, a decode error and
// faults (one repeated, which must fold).
func demoEvents() []event.Event {
	const a, b = "AbCdEf0123456789", "ZyXw9876"
	evs := []event.Event{
		{TS: at(0), Kind: event.KindSession, Sid: a, Action: "open", Transport: "polling", EIO: 4, Client: "127.0.0.1:50123"},
		{TS: at(1), Kind: event.KindHTTP, Method: "GET", Path: "/socket.io/?EIO=4&transport=polling", Status: 200, Exchange: 7, DurationMs: fms(1.5)},
	}
	open := pkt(1, a, "s2c", "polling", "open", "", "", "", "")
	open.Data = `{"sid":"AbCdEf0123456789","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}`
	open.Exchange = 7
	open.Raw = []byte("0" + open.Data)
	conn := pkt(5, a, "c2s", "polling", "message", "CONNECT", "/", "", "")
	conn2 := pkt(6, a, "c2s", "polling", "message", "CONNECT", "/admin", "", "")
	probe := pkt(20, a, "c2s", "websocket", "ping", "", "", "", "")
	probe.Data = "probe"
	probeAck := pkt(21, a, "s2c", "websocket", "pong", "", "", "", "")
	probeAck.Data = "probe"
	upg := pkt(22, a, "c2s", "websocket", "upgrade", "", "", "", "")
	chat := pkt(100, a, "c2s", "websocket", "message", "EVENT", "/", "chat", `["hello","world"]`)
	chat.ID = id(1)
	chat.Raw = []byte(`421["chat","hello","world"]`)
	ack := pkt(112, a, "s2c", "websocket", "message", "ACK", "/", "", `[{"ok":true}]`)
	ack.ID = id(1)
	ping := pkt(200, a, "s2c", "websocket", "ping", "", "", "", "")
	pong := pkt(203, a, "c2s", "websocket", "pong", "", "", "", "")
	bin := pkt(300, a, "c2s", "websocket", "message", "BINARY_EVENT", "/admin", "upload", `[{"name":"a.bin"},{"_binary":"3q2+7w=="}]`)
	bin.Attachments = 1
	bin.Binary = true
	bin.Buffers = [][]byte{{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 'h', 'i'}}
	bin.Raw = []byte(`451-/admin,["upload",{"name":"a.bin"},{"_placeholder":true,"num":0}]`)
	other := pkt(400, b, "c2s", "polling", "message", "EVENT", "/", "join", `["room1"]`)
	decodeErr := event.Event{TS: at(450), Kind: event.KindError, Sid: b, Dir: "s2c", Transport: "polling", Error: `sio: bad packet type '9' (offset 0)`}
	f1 := event.Fault{Code: "cors_origin_mismatch", Catalog: "B2", Severity: event.Error,
		Summary:  `Origin "http://localhost:5173" is not allowed by Access-Control-Allow-Origin "http://localhost:3000"`,
		Evidence: []string{"GET /socket.io/?EIO=4&transport=polling → 200 without a matching ACAO header"},
		Fix:      `Add "http://localhost:5173" to the server's cors.origin list.`, Count: 1, First: at(460), Last: at(460)}
	f1b := f1
	f1b.Count, f1b.Last = 2, at(470)
	f2 := event.Fault{Code: "ping_rtt_high", Catalog: "E4", Severity: event.Warning, Summary: "Ping round trip 3.0 s is over half the 5 s pingTimeout",
		Fix: "Check server load or raise pingTimeout.", Count: 1, First: at(480), Last: at(480)}
	evs = append(evs, open, conn, conn2, probe, probeAck, upg,
		event.Event{TS: at(22), Kind: event.KindSession, Sid: a, Action: "upgrade", Transport: "websocket"},
		chat, ack, ping, pong, bin,
		event.Event{TS: at(390), Kind: event.KindSession, Sid: b, Action: "open", Transport: "polling", EIO: 4, Client: "10.0.0.7:41000"},
		other, decodeErr,
		event.Event{TS: at(460), Kind: event.KindFault, Sid: b, Fault: &f1},
		event.Event{TS: at(470), Kind: event.KindFault, Sid: b, Fault: &f1b},
		event.Event{TS: at(480), Kind: event.KindFault, Sid: a, Fault: &f2},
	)
	return evs
}

// newTestSource returns a Source over a real bus ring holding evs.
func newTestSource(evs []event.Event, st Stats) (*BusSource, *bus.Ring[event.Event]) {
	r := bus.NewRing[event.Event](1 << 12)
	for _, ev := range evs {
		r.Publish(ev)
	}
	return NewBusSource(r, nil, func() Stats { return st }), r
}

func testOptions(src Source) Options {
	return Options{Source: src, NoColor: true, Listen: ":8080", Target: "http://localhost:3000",
		Now: func() time.Time { return at(1000) }}
}

// newTestModel is a 120×40 model that has taken one tick of evs.
func newTestModel(t testing.TB, evs []event.Event) *Model {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	src, _ := newTestSource(evs, Stats{})
	m := New(testOptions(src))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(tickMsg{now: at(1000)})
	return m
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}
