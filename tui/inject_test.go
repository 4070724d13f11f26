package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/sioproxy/sioproxy/internal/event"
)

// injectSource is a test Source with a fault menu.
type injectSource struct {
	*BusSource
	rules []InjectRule
}

func (s *injectSource) InjectRules() []InjectRule { return append([]InjectRule(nil), s.rules...) }
func (s *injectSource) ToggleInject(i int) bool {
	s.rules[i].On = !s.rules[i].On
	return s.rules[i].On
}

func TestInjectMenuAndRows(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	evs := append(demoEvents(), event.Event{TS: at(900), Kind: event.KindInject, Sid: "aaaa", Transport: "websocket", Dir: "c2s",
		Rule: "drop-pongs", Action: "dropped", Data: "heartbeat pong dropped"})
	bs, _ := newTestSource(evs, Stats{})
	src := &injectSource{BusSource: bs, rules: []InjectRule{
		{Text: "drop-pongs", On: true, Given: true, Hits: 2},
		{Text: "no-upgrade"},
		{Text: "cut-ws=10s"},
		{Text: "strip-cors", On: true, Given: true, File: true},
	}}
	m := New(testOptions(src))
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	m.Update(tickMsg{now: at(1000)})

	out := m.View()
	if !strings.Contains(out, "INJECTED ws drop-pongs: dropped heartbeat pong dropped") {
		t.Errorf("the injected fault is not in the packet stream:\n%s", out)
	}
	if !strings.Contains(out, "⚡ INJECTING drop-pongs") {
		t.Errorf("the status bar does not name the rule that is on:\n%s", out)
	}

	press(m, "!")
	out = m.View()
	for _, w := range []string{"Inject faults", "> [x] drop-pongs (--inject) · 2 injected", "[ ] no-upgrade", "[ ] cut-ws=10s", "[x] strip-cors (--rules)"} {
		if !strings.Contains(out, w) {
			t.Errorf("the menu lacks %q:\n%s", w, out)
		}
	}
	press(m, "down", "enter")
	if !src.rules[1].On {
		t.Fatal("enter on no-upgrade did not switch it on")
	}
	if out = m.View(); !strings.Contains(out, "> [x] no-upgrade") {
		t.Errorf("the menu does not show no-upgrade on:\n%s", out)
	}
	press(m, " ")
	if src.rules[1].On {
		t.Fatal("space did not switch no-upgrade off again")
	}
	press(m, "esc")
	if m.inj.open || m.mode != modeMain {
		t.Fatalf("esc left the menu open (mode %v)", m.mode)
	}
	// "!" does nothing on a Source without faults.
	plain := newTestModel(t, demoEvents())
	press(plain, "!")
	if plain.mode != modeMain || strings.Contains(plain.View(), "Inject faults") {
		t.Error("a UI without an Injector opened the fault menu")
	}
}
