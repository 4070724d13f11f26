package tui

// Breakpoints and the held-message editor (issue 13). The pane lives here
// so the main layout keeps one small hook per place: a key hook (onKey), a
// tick hook (onTick), a message hook (Update) and a view hook (View).
//
//	b            set a breakpoint from the filter syntax (e.g. event:chat dir:c2s)
//	B            clear every breakpoint (held messages go on unchanged)
//
// While a message is held the main area shows it, its args as pretty JSON,
// and the time left before the peer's heartbeat gives up:
//
//	f  forward (with the edits)      u  forward unchanged
//	d  drop                          a  forward all, clear the breakpoints
//	e  edit in $EDITOR               i  edit here (esc ends editing)
//	esc  hide the pane (the message stays held; b shows it again)

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/charmbracelet/x/ansi"
	"github.com/sioproxy/sioproxy/internal/event"
)

// Interceptor is the active layer as the UI drives it (Options.Intercept).
// Calls must not block.
type Interceptor interface {
	AddBreakpoint(filter string) error
	ClearBreakpoints()
	Breakpoints() []string
	Held() []HeldMessage
	// Resolve decides held message id: "forward" (with args, nil for
	// the original), "unchanged", "drop" or "all".
	Resolve(id int, action string, args []byte) error
}

// HeldMessage is a message a breakpoint holds.
type HeldMessage struct {
	ID                  int
	Sid, Dir, Transport string
	Type, Nsp, Event    string
	Args                []byte // JSON
	Filter              string
	Since, Deadline     time.Time
}

// interceptUI is the pane's state.
type interceptUI struct {
	held      []HeldMessage
	cur       int // ID shown in the editor, 0 for none
	hidden    int // ID the user hid with esc
	editor    textarea.Model
	editing   bool
	prompting bool
}

type editorDoneMsg struct {
	id   int
	path string
	err  error
}

func (m *Model) icp() *interceptUI {
	if m.icpt == nil {
		ta := textarea.New()
		ta.ShowLineNumbers = false
		ta.Prompt = ""
		ta.CharLimit = 0
		m.icpt = &interceptUI{editor: ta}
	}
	return m.icpt
}

// interceptTick refreshes the held list; the tick hook.
func (m *Model) interceptTick() {
	ic := m.opts.Intercept
	if ic == nil {
		return
	}
	u := m.icp()
	held := ic.Held()
	if len(held) > 0 || len(u.held) > 0 {
		m.dirty = true // the countdown moves
	}
	u.held = held
	if len(held) == 0 {
		u.cur, u.editing = 0, false
		u.editor.Blur()
		return
	}
	if u.cur != held[0].ID {
		u.cur = held[0].ID
		u.editing = false
		u.editor.Blur()
		u.editor.SetValue(indentJSON(held[0].Args))
	}
}

// paneShown reports whether the held pane takes the main area.
func (m *Model) paneShown() bool {
	u := m.icpt
	return u != nil && u.cur != 0 && u.hidden != u.cur
}

// interceptKey is the key hook; it reports whether it took the key.
func (m *Model) interceptKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	ic := m.opts.Intercept
	if ic == nil {
		return false, nil
	}
	u := m.icp()
	if u.prompting {
		switch msg.Type {
		case tea.KeyEnter:
			u.prompting = false
			m.mode = modeMain
			m.input.Blur()
			f := strings.TrimSpace(m.input.Value())
			if f == "" {
				return true, nil
			}
			if err := ic.AddBreakpoint(f); err != nil {
				m.message = "breakpoint not set: " + err.Error()
			} else {
				m.message = "breakpoint set: " + f + " (B clears)"
			}
			return true, nil
		case tea.KeyEsc:
			u.prompting = false
			m.mode = modeMain
			m.input.Blur()
			return true, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return true, cmd
	}
	if m.mode != modeMain {
		return false, nil
	}
	if m.paneShown() {
		if u.editing {
			if msg.Type == tea.KeyEsc {
				u.editing = false
				u.editor.Blur()
				return true, nil
			}
			var cmd tea.Cmd
			u.editor, cmd = u.editor.Update(msg)
			return true, cmd
		}
		switch msg.String() {
		case "f":
			args := compactJSON(u.editor.Value())
			if args == nil {
				m.message = "the args are not valid JSON; fix them or press u to forward the original"
				return true, nil
			}
			m.resolve("forward", args)
		case "u":
			m.resolve("unchanged", nil)
		case "d":
			m.resolve("drop", nil)
		case "a":
			m.resolve("all", nil)
			m.message = "forwarded everything held; breakpoints cleared"
		case "i":
			u.editing = true
			return true, u.editor.Focus()
		case "e":
			return true, m.openEditor(u.cur, u.editor.Value())
		case "esc":
			u.hidden = u.cur
		default:
			return false, nil
		}
		return true, nil
	}
	switch msg.String() {
	case "b":
		if u.cur != 0 && u.hidden == u.cur {
			u.hidden = 0 // show the held message again
			return true, nil
		}
		u.prompting = true
		m.mode = modeFilter // the input line is shown as for the filter
		m.input.Prompt = "break on: "
		m.input.SetValue("")
		return true, m.input.Focus()
	case "B":
		ic.ClearBreakpoints()
		m.message = "breakpoints cleared"
		return true, nil
	}
	return false, nil
}

func (m *Model) resolve(action string, args []byte) {
	u := m.icp()
	if err := m.opts.Intercept.Resolve(u.cur, action, args); err != nil {
		m.message = err.Error()
		return
	}
	if action != "all" {
		m.message = fmt.Sprintf("held message %d: %s", u.cur, action)
	}
	u.cur, u.editing = 0, false
	u.editor.Blur()
	m.interceptTick()
}

// openEditor writes the args to a file and runs $EDITOR on it.
func (m *Model) openEditor(id int, text string) tea.Cmd {
	f, err := os.CreateTemp("", "sioproxy-held-*.json")
	if err != nil {
		m.message = "editor: " + err.Error()
		return nil
	}
	f.WriteString(text)
	f.Close()
	c := exec.Command("sh", "-c", `${EDITOR:-vi} "$1"`, "sh", f.Name())
	return tea.ExecProcess(c, func(err error) tea.Msg { return editorDoneMsg{id, f.Name(), err} })
}

// interceptMsg is the message hook.
func (m *Model) interceptMsg(msg tea.Msg) (bool, tea.Cmd) {
	d, ok := msg.(editorDoneMsg)
	if !ok {
		return false, nil
	}
	m.dirty = true
	defer os.Remove(d.path)
	if d.err != nil {
		m.message = "editor: " + d.err.Error()
		return true, nil
	}
	b, err := os.ReadFile(d.path)
	if err != nil {
		m.message = "editor: " + err.Error()
		return true, nil
	}
	if u := m.icp(); u.cur == d.id {
		u.editor.SetValue(strings.TrimRight(string(b), "\n"))
		m.message = "edited; f forwards it"
	}
	return true, nil
}

// interceptView renders the held pane in the main area; the view hook.
func (m *Model) interceptView(b *strings.Builder) bool {
	if !m.paneShown() {
		return false
	}
	u := m.icpt
	h := u.held[0]
	n := m.bodyHeight()
	lines := []string{
		fmt.Sprintf("HELD %d of %d · %s %s · sid %s · %s %s %s · breakpoint %s",
			1, len(u.held), h.Dir, h.Transport, termSafe(h.Sid), h.Type, termSafe(h.Nsp), termSafe(quoteIf(h.Event)), termSafe(h.Filter)),
	}
	if !h.Deadline.IsZero() {
		left := h.Deadline.Sub(m.now).Truncate(time.Second)
		if left < 0 {
			left = 0
		}
		lines = append(lines, fmt.Sprintf("held %s · the peer's heartbeat gives up in about %s (pingInterval+pingTimeout); an ack timeout is the app's own", m.now.Sub(h.Since).Truncate(time.Second), left))
	} else {
		lines = append(lines, fmt.Sprintf("held %s · heartbeat timeout unknown (handshake not seen)", m.now.Sub(h.Since).Truncate(time.Second)))
	}
	lines = append(lines, "f forward · u unchanged · d drop · a forward all + clear breakpoints · e $EDITOR · i edit here · esc hide", "")
	u.editor.SetWidth(max(20, m.width-2))
	u.editor.SetHeight(max(3, n-len(lines)))
	body := u.editor.View()
	if !u.editing {
		body = termSafe(u.editor.Value())
	}
	lines = append(lines, strings.Split(body, "\n")...)
	for i := 0; i < n; i++ {
		if i < len(lines) {
			b.WriteString(ansi.Truncate(lines[i], m.width, "…"))
		}
		b.WriteByte('\n')
	}
	return true
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

func compactJSON(s string) []byte {
	var out bytes.Buffer
	if json.Compact(&out, []byte(s)) != nil {
		return nil
	}
	return out.Bytes()
}

// termSafe escapes what a terminal would interpret: control characters
// (C0 but newline, C1, DEL), line and paragraph separators and bidi
// overrides, as \u escapes.
func termSafe(s string) string {
	ok := true
	for _, r := range s {
		if unsafeRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == unicode.ReplacementChar:
		return true
	}
	return false
}

// activeMark is what the active layer did to a packet, for its row:
// "[dropped by r2] ", "" when nothing.
func activeMark(ev *event.Event) string {
	if ev.Active == nil {
		return ""
	}
	return termSafe(ev.Active.Mark()) + " "
}
