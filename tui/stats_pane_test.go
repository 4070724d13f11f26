package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/stats"
)

// order returns the positions of names in out, -1 for a missing one.
func order(out string, names ...string) []int {
	var pos []int
	for _, n := range names {
		pos = append(pos, strings.Index(out, n))
	}
	return pos
}

func increasing(p []int) bool {
	for i := range p {
		if p[i] < 0 || (i > 0 && p[i] <= p[i-1]) {
			return false
		}
	}
	return true
}

func TestStatsPane(t *testing.T) {
	m := newTestModel(t, demoEvents())
	press(m, "t")
	out := m.View()
	for _, w := range []string{"› stats", "Events by name and direction", "sorted by count ▼", "chat", "upload", "join",
		"12ms", // chat's ack latency
		"AbCdEf0123456789", "websocket↑ v4", "ZyXw9876", "handshakes", "upgrades 1 ok", "acks never answered 0, pending 0",
		"cors_origin_mismatch ×2", "t/esc back"} {
		if !strings.Contains(out, w) {
			t.Errorf("stats pane lacks %q:\n%s", w, out)
		}
	}
	checkFrame(t, out, 120, 40)

	// Sort by event name, ascending, then reverse.
	press(m, "h", "h", "h")
	out = m.View()
	if !strings.Contains(out, "sorted by event ▲") || !increasing(order(out, "chat ", "join ", "upload ")) {
		t.Errorf("sorted by event name: want chat, join, upload in order:\n%s", out)
	}
	press(m, "r")
	out = m.View()
	if !strings.Contains(out, "sorted by event ▼") || !increasing(order(out, "upload ", "join ", "chat ")) {
		t.Errorf("reversed: want upload, join, chat:\n%s", out)
	}
	// tab moves to the sessions table, whose sort keys are its own.
	press(m, "tab", "h", "h", "h")
	out = m.View()
	if !strings.Contains(out, "sorted by event ▼") || !strings.Contains(out, "sorted by transport ▲") {
		t.Errorf("tab then h should sort sessions by transport and leave events alone:\n%s", out)
	}
	press(m, "esc")
	out = m.View()
	if strings.Contains(out, "› stats") || !strings.Contains(out, "Sessions (2)") {
		t.Errorf("esc should close the stats pane:\n%s", out)
	}
	press(m, "t")
	if out := m.View(); !strings.Contains(out, "sorted by transport ▲") {
		t.Errorf("the sort order should survive closing and opening the pane:\n%s", out)
	}
}

func TestStatsPaneFollowsNewEvents(t *testing.T) {
	src, ring := newTestSource(demoEvents(), Stats{})
	m := New(testOptions(src))
	m.SetSize(120, 40)
	m.Update(tickMsg{now: at(1000)})
	press(m, "t")
	if strings.Contains(m.View(), "late") {
		t.Fatal("an event not yet published is shown")
	}
	ev := pkt(900, "AbCdEf0123456789", "s2c", "websocket", "message", "EVENT", "/", "late", `["x"]`)
	ev.Seq = ring.Last() + 1
	ring.Publish(ev)
	for i := 0; i < statsRefreshTicks; i++ {
		m.Update(tickMsg{now: at(1100 + i*100)})
	}
	if !strings.Contains(m.View(), "late") {
		t.Errorf("a new event should show after a refresh:\n%s", m.View())
	}
}

func TestStatsPaneEscapesWireStrings(t *testing.T) {
	evs := demoEvents()
	evs = append(evs, pkt(950, "ZyXw9876", "c2s", "polling", "message", "EVENT", "/", "\x1b[31mred\x07\u009b2J", `[]`))
	m := newTestModel(t, evs)
	press(m, "t")
	out := m.View()
	if strings.ContainsAny(out, "\x1b\x07\u009b") {
		t.Fatalf("a control character from an event name reached the screen: %q", out)
	}
	if !strings.Contains(out, `\x1b[31mred\x07\u009b2J`) {
		t.Errorf("the event name should show escaped:\n%s", out)
	}
}

// statsSource is a Source whose stats come from elsewhere, as the
// analyzer's collector feeds the real UI.
type statsSource struct {
	*BusSource
	col   *stats.Collector
	calls int
}

func (s *statsSource) StatsSnapshot(bars int) *stats.Snapshot {
	s.calls++
	return s.col.Snapshot(bars)
}

func TestStatsPaneUsesStatsSource(t *testing.T) {
	bs, _ := newTestSource(demoEvents(), Stats{})
	col := stats.New(stats.Options{})
	only := pkt(10, "S", "c2s", "websocket", "message", "EVENT", "/", "from-the-analyzer", `[]`)
	col.Observe(&only)
	src := &statsSource{BusSource: bs, col: col}
	m := New(testOptions(src))
	m.SetSize(120, 40)
	m.Update(tickMsg{now: at(1000)})
	press(m, "t")
	out := m.View()
	if !strings.Contains(out, "from-the-analyzer") || strings.Contains(out, "upload") || src.calls == 0 {
		t.Errorf("the pane should show the source's stats, not its own:\n%s", out)
	}
	if m.statsPane.own != nil {
		t.Error("with a StatsSource the UI must not compute stats again")
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		w    int
		want string
	}{
		{[]float64{0, 1, 2, 4, 8}, 5, " ▁▂▄█"},
		{[]float64{8, 8, 0, 0, 4, 4}, 3, "█ ▄"},
		{[]float64{1, 2, 3}, 0, ""},
		{nil, 4, ""},
	} {
		if got := sparkline(tc.v, tc.w); got != tc.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", tc.v, tc.w, got, tc.want)
		}
	}
}

var _ = event.KindPacket

func TestStatsPaneFitsEverySize(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {40, 12}} {
		m := newTestModel(t, demoEvents())
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		press(m, "t")
		checkFrame(t, m.View(), sz[0], sz[1])
	}
}
