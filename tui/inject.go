package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Fault injection (--inject) in the UI: the "!" key lists every rule and
// toggles them while the proxy runs; injected faults show in the packet
// stream as INJECTED rows, and the status bar names the rules that are on.

// Injector is optionally implemented by a Source whose proxy can inject
// faults; an empty list means it cannot (a replay). Calls come from
// Update and must not block.
type Injector interface {
	// InjectRules lists the rules: those given with --inject first.
	InjectRules() []InjectRule
	// ToggleInject switches rule i on or off and reports its new state.
	ToggleInject(i int) (on bool)
}

// InjectRule is one line of the fault menu.
type InjectRule struct {
	Text  string // canonical rule, e.g. "drop-pongs" or "cut-ws=10s"
	On    bool
	Given bool   // from the command line or the rules file (else a ready-made example)
	File  bool   // from the --rules file
	Hits  uint64 // faults it injected so far
}

var injectKey = key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "inject faults"))

// injectMenu is the state of the fault menu, shown in the detail view.
type injectMenu struct {
	open bool
	cur  int
}

// onInjectKey handles "!" and, while the menu is open, its keys; it
// reports whether msg was one.
func (m *Model) onInjectKey(msg tea.KeyMsg) bool {
	inj := m.injector()
	if inj == nil {
		return false
	}
	if !m.inj.open {
		if m.mode != modeMain || !key.Matches(msg, injectKey) {
			return false
		}
		m.inj.open = true
		m.showInjectMenu(inj)
		return true
	}
	if m.mode != modeDetail {
		m.inj.open = false // left by another path (help)
		return false
	}
	rules := inj.InjectRules()
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit) && msg.String() != "q":
		return false
	case key.Matches(msg, k.Back, injectKey) || msg.String() == "q":
		m.inj.open = false
		m.mode = modeMain
		return true
	case key.Matches(msg, k.Up):
		m.inj.cur = max(m.inj.cur-1, 0)
	case key.Matches(msg, k.Down):
		m.inj.cur = min(m.inj.cur+1, len(rules)-1)
	case key.Matches(msg, k.Enter) || msg.String() == " ":
		if m.inj.cur < len(rules) {
			on := inj.ToggleInject(m.inj.cur)
			state := "off"
			if on {
				state = "ON"
			}
			m.message = "--inject " + rules[m.inj.cur].Text + " " + state
		}
	default:
		return true
	}
	m.showInjectMenu(inj)
	return true
}

func (m *Model) showInjectMenu(inj Injector) {
	var b strings.Builder
	b.WriteString("Inject faults: ↑/↓ choose, enter/space toggles, esc or ! closes.\n")
	b.WriteString("Injected faults show as INJECTED rows; the diagnosis names the rule.\n\n")
	for i, r := range inj.InjectRules() {
		cur := "  "
		if i == m.inj.cur {
			cur = "> "
		}
		box := "[ ]"
		if r.On {
			box = "[x]"
		}
		note := ""
		switch {
		case r.File:
			note = " (--rules)"
		case r.Given:
			note = " (--inject)"
		}
		if r.Hits > 0 {
			note += " · " + strconv.FormatUint(r.Hits, 10) + " injected"
		}
		line := fmt.Sprintf("%s%s %s%s", cur, box, r.Text, note)
		if i == m.inj.cur {
			line = m.styles.Selected.Render(fit(line, m.width))
		}
		b.WriteString(line + "\n")
	}
	y := m.detail.YOffset
	m.openDetail(b.String())
	m.prevMode = modeMain
	m.detail.SetYOffset(y)
}

// injectStatus names the rules that are on, for the status bar.
func (m *Model) injectStatus() string {
	inj := m.injector()
	if inj == nil {
		return ""
	}
	var on []string
	for _, r := range inj.InjectRules() {
		if r.On {
			on = append(on, r.Text)
		}
	}
	if len(on) == 0 {
		return ""
	}
	return "⚡ INJECTING " + strings.Join(on, ", ")
}

// injectRow renders an "inject" event in the packet stream.
func (m *Model) injectRow(sb *strings.Builder, ev *event.Event, selected, linked bool) string {
	tr := "poll"
	if ev.Transport == "websocket" {
		tr = "ws"
	}
	text := "INJECTED " + tr + " " + ev.Rule + ": " + ev.Action
	if ev.Data != "" {
		text += " " + flatten(ev.Data)
	}
	rest := m.width - ansi.StringWidth(sb.String())
	sb.WriteString(fit(text, rest))
	return m.styleRow(fit(sb.String(), m.width), selected, linked, true)
}

// injectHelp is the help screen's line about "!", when the proxy can inject.
func (m *Model) injectHelp() string {
	if m.injector() == nil {
		return ""
	}
	return " " + m.styles.Help.Render("! lists the --inject fault rules (nginx without Upgrade, idle timeouts, a frozen tab…) and toggles them.") + "\n"
}

// injector is the Source's fault menu, nil if it has none.
func (m *Model) injector() Injector {
	if inj, ok := m.opts.Source.(Injector); ok && len(inj.InjectRules()) > 0 {
		return inj
	}
	return nil
}
