package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/sioproxy/sioproxy/internal/event"
)

func TestViewShows(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		want    []string
		notWant []string
	}{
		{"sessions and packets", nil,
			[]string{"Sessions (2)", "AbCdEf0123456789", "websocket", "/,/admin", "chat #1", "#1 ↩ chat 12ms", `"probe"`, "BINARY_EVENT", "decode error: sio: bad packet type", ":8080 → http://localhost:3000"},
			[]string{"15:09:26.200"}},
		{"pings shown after p", []string{"p"}, []string{"pings shown", "15:09:26.200", "15:09:26.203"}, nil},
		{"faults fold by code and sid", nil, []string{"Faults (2)", "cors_origin_mismatch", "×2", "ping_rtt_high", "×1"}, nil},
		{"fault pane shows summary and fix", []string{"tab"}, []string{"Summary", "Fix", `Add "http://localhost:5173"`}, nil},
		{"help", []string{"?"}, []string{"› help", "event:chat", "/regex/", "follow/pause"}, []string{"Sessions ("}},
		{"filter by event", []string{"/", "e", "v", "e", "n", "t", ":", "j", "o", "i", "n", "enter"},
			[]string{"Packets (1 shown)", "filter: event:join"}, []string{"chat #1"}},
		{"filter error keeps old filter", append(strings.Split("/event:chat", ""), append([]string{"enter"}, strings.Split(`/ "`, "")...)...),
			[]string{`unterminated quote`, "chat #1", "previous filter still applies"}, []string{"join"}},
		{"scope to session", []string{"shift+tab", "down", "enter"},
			[]string{"session ZyXw9876", "join"}, []string{"chat #1"}},
		{"detail of a binary event", []string{"up", "up", "enter"},
			[]string{"› detail", "BINARY_EVENT  nsp /admin  event \"upload\"", "Attachment 1 of 1 (10 B)", "de ad be ef 00 01 02 03  68 69", "Raw wire bytes", `"name": "a.bin"`}, nil},
		{"detail of an ack links its event", []string{"home", "down", "down", "down", "down", "down", "down", "down", "enter"},
			[]string{"ACK  nsp /  id 1", "answers packet", "after 12ms"}, nil},
		{"clear", []string{"c"}, []string{"Packets (0 shown)", "waiting for packets"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, demoEvents())
			press(m, tc.keys...)
			out := m.View()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("view lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("view has %q:\n%s", w, out)
				}
			}
			checkFrame(t, out, 120, 40)
		})
	}
}

// checkFrame asserts the frame fills the terminal and no line overflows.
func checkFrame(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, max %d: %q", i, lw, w, l)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colours off but the frame has escape sequences")
	}
}

func TestResizeReflows(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {40, 12}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := newTestModel(t, demoEvents())
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkFrame(t, m.View(), sz[0], sz[1])
			press(m, "tab")
			checkFrame(t, m.View(), sz[0], sz[1])
		})
	}
}

func itoa(n int) string {
	return strings.TrimSpace(padLeft(string(rune('0'+n/100%10))+string(rune('0'+n/10%10))+string(rune('0'+n%10)), 3))
}

// manyPackets returns n chat events 1 ms apart on one session.
func manyPackets(from, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = pkt(from+i, "S1", "c2s", "websocket", "message", "EVENT", "/", "tick", `[1]`)
	}
	return evs
}

func TestFollowAndPause(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string
		wantMoved  bool
		wantFollow bool
	}{
		{"following at bottom moves", nil, true, true},
		{"cursor up does not move and pauses", []string{"up"}, false, false},
		{"home pauses", []string{"g"}, false, false},
		{"paused does not move", []string{"f"}, false, false},
		{"pause then resume moves", []string{"f", "f"}, true, true},
		{"back at end moves again", []string{"up", "end"}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, ring := newTestSource(manyPackets(0, 100), Stats{})
			m := New(testOptions(src))
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			press(m, tc.keys...)
			cur, top := m.cursorSeq, m.topSeq
			for _, ev := range manyPackets(100, 50) {
				ring.Publish(ev)
			}
			m.Update(tickMsg{now: at(1100)})
			moved := m.cursorSeq != cur || m.topSeq != top
			if moved != tc.wantMoved || m.follow != tc.wantFollow {
				t.Fatalf("moved=%v follow=%v, want %v %v (cursor %d→%d top %d→%d)", moved, m.follow, tc.wantMoved, tc.wantFollow, cur, m.cursorSeq, top, m.topSeq)
			}
			if tc.wantMoved {
				if last, _ := m.view.last(); m.cursorSeq != last {
					t.Fatalf("cursor %d, want last %d", m.cursorSeq, last)
				}
			}
		})
	}
}

func TestCapacityEvictsAndCounts(t *testing.T) {
	src, _ := newTestSource(manyPackets(0, 250), Stats{})
	opts := testOptions(src)
	opts.Capacity = 100
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(tickMsg{now: at(1000)})
	if got := m.view.len(); got != 100 {
		t.Fatalf("view holds %d rows, want 100", got)
	}
	if !strings.Contains(m.View(), "150 fell out of view") {
		t.Fatalf("status lacks eviction count:\n%s", m.View())
	}
}

func TestAckLinkHighlightsEvent(t *testing.T) {
	m := newTestModel(t, demoEvents())
	press(m, "home")
	for i := 0; i < 20; i++ {
		if e := m.store.get(m.cursorSeq); e != nil && e.ev.Type == "ACK" {
			break
		}
		press(m, "down")
	}
	out := m.View()
	var linked string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "~ ") {
			linked = l
		}
	}
	if !strings.Contains(linked, "chat #1") {
		t.Fatalf("selected ACK does not mark its EVENT; marked %q in\n%s", linked, out)
	}
}

func TestViewIsCachedUntilDirty(t *testing.T) {
	m := newTestModel(t, demoEvents())
	first := m.View()
	n := m.renders
	for i := 1; i <= 5; i++ { // idle ticks, none on a 1 s boundary
		m.Update(tickMsg{now: at(1000 + i*10)})
		if m.View() != first {
			t.Fatal("idle tick changed the frame")
		}
	}
	if m.renders != n {
		t.Fatalf("idle ticks re-rendered %d times", m.renders-n)
	}
	press(m, "up")
	m.View()
	if m.renders != n+1 {
		t.Fatalf("a key did not re-render")
	}
}

func TestMouseWheelScrolls(t *testing.T) {
	m := newTestModel(t, manyPackets(0, 100))
	before := m.cursorSeq
	m.Update(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp, Y: 20})
	if m.cursorSeq != before-3 {
		t.Fatalf("wheel up: cursor %d, want %d", m.cursorSeq, before-3)
	}
}

func TestSave(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		want    string
		wantLen int
	}{
		{"ok", nil, "saved 1 events to rec.jsonl", 1},
		{"error", errors.New("disk full"), "save failed: disk full", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := newTestSource(demoEvents(), Stats{})
			opts := testOptions(src)
			var gotPath string
			var gotLen int
			opts.SaveView = func(path string, evs []event.Event) error {
				gotPath, gotLen = path, len(evs)
				return tc.err
			}
			m := New(opts)
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			typeText(m, "/")
			typeText(m, "event:join")
			press(m, "enter", "s")
			if !strings.Contains(m.View(), "save recording to: sioproxy-20250314-150927.jsonl") {
				t.Fatalf("no default path:\n%s", m.View())
			}
			press(m, "ctrl+u")
			typeText(m, "rec.jsonl")
			_, cmd := m.Update(keyMsg("enter"))
			if cmd == nil {
				t.Fatal("no save command")
			}
			m.Update(cmd())
			if gotPath != "rec.jsonl" || gotLen != tc.wantLen {
				t.Fatalf("saved %d events to %q", gotLen, gotPath)
			}
			if !strings.Contains(m.View(), tc.want) {
				t.Fatalf("view lacks %q:\n%s", tc.want, m.View())
			}
		})
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			m := newTestModel(t, nil)
			msg := keyMsg(k)
			if k == "ctrl+c" {
				msg = tea.KeyMsg{Type: tea.KeyCtrlC}
			}
			_, cmd := m.Update(msg)
			if cmd == nil {
				t.Fatal("no command")
			}
			if _, ok := cmd().(tea.QuitMsg); !ok {
				t.Fatal("not a quit")
			}
		})
	}
}

func TestStatusBar(t *testing.T) {
	src, _ := newTestSource(manyPackets(500, 300), Stats{BusDrops: 3, ObsDrops: 4, Recording: true, RecordPath: "out.jsonl", ReplayDone: 5, ReplayTotal: 9})
	m := New(testOptions(src))
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	m.Update(tickMsg{now: at(1000)})
	out := m.View()
	// 300 packets 1 ms apart ending at 799 ms: all inside the second ending at 1000 ms.
	for _, w := range []string{"300 pkts/s", "drops 7", "● REC out.jsonl", "replay 55%"} {
		if !strings.Contains(out, w) {
			t.Errorf("status lacks %q:\n%s", w, out)
		}
	}
	m.Update(tickMsg{now: at(2500)})
	if !strings.Contains(m.View(), " 0 pkts/s") {
		t.Errorf("rate did not decay:\n%s", m.View())
	}
}

// Every queue's losses are in the status bar: what the recording could
// not keep and that it stopped, with why, and details the cache dropped.
func TestStatusBarLimits(t *testing.T) {
	tests := []struct {
		name string
		st   Stats
		want string
		not  string
	}{
		{"recording", Stats{Recording: true, RecordPath: "out.jsonl"}, "● REC out.jsonl", "not recorded"},
		{"drops", Stats{Recording: true, RecordPath: "out.jsonl", RecordDrops: 12}, "● REC out.jsonl (12 not recorded)", "stopped"},
		{"stopped", Stats{Recording: true, RecordPath: "out.jsonl", RecordDrops: 12, RecordErr: "write recording: no space left on device"}, "✗ REC stopped: write recording: no space left on device", "● REC"},
		{"off", Stats{}, "drops 0", "REC"},
		{"detail drops", Stats{DetailDrops: 5}, "drops 0 │ 5 details not kept", "REC"},
		{"no detail drops", Stats{}, "drops 0", "details"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := newTestSource(manyPackets(10, 10), tc.st)
			m := New(testOptions(src))
			m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			out := m.View()
			if !strings.Contains(out, tc.want) {
				t.Errorf("status lacks %q:\n%s", tc.want, out)
			}
			if strings.Contains(out, tc.not) {
				t.Errorf("status has %q:\n%s", tc.not, out)
			}
		})
	}
}

func TestDerivedSessions(t *testing.T) {
	m := newTestModel(t, demoEvents())
	if len(m.sessRows) != 2 {
		t.Fatalf("%d sessions", len(m.sessRows))
	}
	a := m.sessRows[0]
	if a.Sid != "AbCdEf0123456789" || a.Upgrade != UpgradeWebSocket || a.PingRTT.Milliseconds() != 3 || a.Faults != 1 || len(a.Namespaces) != 2 || a.EIO != 4 {
		t.Fatalf("session a = %+v", a)
	}
	b := m.sessRows[1]
	if b.Client != "10.0.0.7:41000" || b.Faults != 2 || b.PacketsC2S != 1 {
		t.Fatalf("session b = %+v", b)
	}
}

// A filter or scope change while following shows the newest matching rows
// filling the pane, not one row at the top of an empty pane.
func TestFilterWhileFollowingFillsPane(t *testing.T) {
	evs := manyPackets(0, 200)
	for i := range evs {
		if i%3 == 0 {
			evs[i].Event, evs[i].Sid = "avatar", "S2"
		}
	}
	tests := []struct {
		name string
		do   func(m *Model)
	}{
		// A paste, or keys sent together, arrive as one message.
		{"filter", func(m *Model) {
			press(m, "/")
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("event:avatar")})
			press(m, "enter")
		}},
		{"filter typed", func(m *Model) { press(m, "/"); typeText(m, "event:avatar"); press(m, "enter") }},
		{"scope", func(m *Model) { press(m, "shift+tab", "enter") }},
		{"pings toggle", func(m *Model) { press(m, "p") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := newTestSource(evs, Stats{})
			m := New(testOptions(src))
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			m.Update(tickMsg{now: at(1000)})
			tc.do(m)
			rows := m.layout().pkts
			if m.view.len() < rows {
				t.Fatalf("test needs more matching rows (%d) than the pane (%d)", m.view.len(), rows)
			}
			if last, _ := m.view.last(); m.cursorSeq != last {
				t.Fatalf("cursor %d, want the newest matching row %d", m.cursorSeq, last)
			}
			if got, want := m.view.index(m.topSeq), m.view.len()-rows; got != want {
				t.Fatalf("top row is #%d of %d, want #%d: the pane of %d rows is not filled", got, m.view.len(), want, rows)
			}
			out := m.View()
			if !strings.Contains(out, "FOLLOW") {
				t.Fatalf("header lost FOLLOW:\n%s", out)
			}
		})
	}
}

// After g (home) the header says PAUSED, since new rows no longer move
// the view; G (end) follows again.
func TestHomePausesEndFollows(t *testing.T) {
	m := newTestModel(t, manyPackets(0, 100))
	press(m, "g")
	if out := m.View(); !strings.Contains(out, "PAUSED") || strings.Contains(out, "FOLLOW") {
		t.Fatalf("after g the header must say PAUSED:\n%s", strings.SplitN(out, "\n", 2)[0])
	}
	press(m, "G")
	if out := m.View(); !strings.Contains(out, "FOLLOW") {
		t.Fatalf("after G the header must say FOLLOW:\n%s", strings.SplitN(out, "\n", 2)[0])
	}
}
