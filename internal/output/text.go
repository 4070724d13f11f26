package output

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe"
)

// Display caps: a line must stay readable at a glance; the full data is in
// --json and the TUI's detail view.
const (
	maxArgs = 200 // bytes of args or data shown
	maxPath = 96  // bytes of a request URI shown
	sidCol  = 6   // leading sid characters shown; the open line prints it whole
)

// ANSI styles, used only when color is on.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiPurple = "\x1b[35m"
	ansiCyan   = "\x1b[36m"
)

// Text writes one human line per event, in the spirit of DEBUG=socket.io*
// but decoded:
//
//	12:03:04.123 a1B2c3 ws   ⇢ c2s EVENT /chat "message" ["hi"] id=3
//	12:03:04.125 a1B2c3 ws   ⇠ s2c ACK /chat id=3 ["ok"] 2.1ms
type Text struct {
	bw    LineSink
	color bool
	line  []byte
	// faults holds the folded faults already printed in full: a repeat is
	// then one short count line, not the block with its growing evidence.
	faults map[string]struct{}
}

// NewText returns a human-readable writer on w, with ANSI colors if color.
func NewText(w io.Writer, color bool) *Text {
	return NewTextSink(bufio.NewWriterSize(w, 64<<10), color)
}

// NewTextSink returns a human-readable writer that hands each event's
// line(s) to bw in one Write call.
func NewTextSink(bw LineSink, color bool) *Text { return &Text{bw: bw, color: color} }

// Flush writes the buffered lines.
func (t *Text) Flush() error { return t.bw.Flush() }

// Write buffers the line(s) for ev.
func (t *Text) Write(ev *event.Event) error {
	b := t.line[:0]
	b = t.style(b, ansiDim, ev.TS.Format("15:04:05.000"))
	b = append(b, ' ')
	b = t.sid(b, ev.Sid)
	switch ev.Kind {
	case event.KindPacket:
		b = t.packet(b, ev)
	case event.KindSession:
		b = t.session(b, ev)
	case event.KindHTTP:
		b = t.http(b, ev)
	case event.KindFault:
		b = t.fault(b, ev)
	case event.KindError:
		b = t.style(b, ansiRed, "error")
		b = appendWhere(b, ev)
		b = append(b, ": "...)
		b = appendClean(b, ev.Error, 4*maxArgs)
	case event.KindDrop:
		b = t.style(b, ansiRed, "drop")
		b = append(b, ' ')
		b = strconv.AppendUint(b, ev.Dropped, 10)
		b = append(b, " lost"...)
		if ev.Where != "" {
			b = append(b, " in "...)
			b = termsafe.AppendString(b, ev.Where)
		}
		b = append(b, " (a consumer lagged)"...)
	case event.KindInject:
		b = t.inject(b, ev)
	default:
		b = termsafe.AppendString(b, string(ev.Kind))
	}
	if ev.Active != nil {
		b = append(b, ' ')
		b = t.style(b, ansiRed, string(appendClean(nil, ev.Active.Mark(), maxArgs)))
	}
	b = append(b, '\n')
	t.line = b
	_, err := t.bw.Write(b)
	return err
}

// style appends s, neutralised, in the ANSI style code when color is on.
func (t *Text) style(b []byte, code, s string) []byte {
	if !t.color {
		return termsafe.AppendString(b, s)
	}
	b = append(b, code...)
	b = termsafe.AppendString(b, s)
	return append(b, ansiReset...)
}

func (t *Text) sid(b []byte, sid string) []byte {
	sid = termsafe.String(sid)
	n := 0
	for i := range sid {
		if n == sidCol {
			sid = sid[:i]
			break
		}
		n++
	}
	b = t.style(b, ansiBlue, sid)
	for ; n < sidCol; n++ {
		b = append(b, ' ')
	}
	return append(b, ' ')
}

func (t *Text) packet(b []byte, ev *event.Event) []byte {
	if ev.Transport == "websocket" {
		b = append(b, "ws  "...)
	} else {
		b = append(b, "poll"...)
	}
	if ev.Dir == "s2c" {
		b = t.style(b, ansiPurple, " ⇠ s2c ")
	} else {
		b = t.style(b, ansiCyan, " ⇢ c2s ")
	}
	if ev.Type == "" {
		b = t.style(b, ansiDim, ev.Engine)
		if ev.Data != "" {
			b = append(b, ' ')
			b = appendClean(b, ev.Data, maxArgs)
		} else if ev.Binary {
			b = append(b, " <"...)
			b = strconv.AppendInt(b, int64(ev.Size), 10)
			b = append(b, " bytes>"...)
		}
		if ev.RTTMs != nil {
			b = append(b, ' ')
			b = appendMs(b, *ev.RTTMs)
		}
		return b
	}
	b = t.style(b, ansiBold, ev.Type)
	b = append(b, ' ')
	b = termsafe.AppendString(b, ev.Nsp)
	if ev.Event != "" {
		b = append(b, ' ')
		if t.color {
			b = append(b, ansiGreen...)
		}
		b = termsafe.AppendQuoted(b, ev.Event)
		if t.color {
			b = append(b, ansiReset...)
		}
	}
	isAck := ev.Type == "ACK" || ev.Type == "BINARY_ACK"
	if isAck && ev.ID != nil {
		b = append(b, " id="...)
		b = ev.AppendID(b)
		if ev.AckEvent != "" {
			b = append(b, " ↩ "...)
			if t.color {
				b = append(b, ansiGreen...)
			}
			b = termsafe.AppendQuoted(b, ev.AckEvent)
			if t.color {
				b = append(b, ansiReset...)
			}
		}
	}
	if len(ev.Args) > 0 {
		b = append(b, ' ')
		b = appendCleanBytes(b, ev.Args, maxArgs)
	}
	if !isAck && ev.ID != nil {
		b = append(b, " id="...)
		b = ev.AppendID(b)
	}
	if ev.Attachments > 0 {
		b = append(b, " +"...)
		b = strconv.AppendInt(b, int64(ev.Attachments), 10)
		b = append(b, " bin"...)
	}
	if ev.AckMs != nil {
		b = append(b, ' ')
		b = appendMs(b, *ev.AckMs)
	}
	if ev.Parser != "" {
		b = append(b, " ("...)
		b = termsafe.AppendString(b, ev.Parser)
		b = append(b, ')')
	}
	if ev.Recovered != nil {
		if *ev.Recovered {
			b = append(b, " [state recovered]"...)
		} else {
			b = append(b, " [state NOT recovered]"...)
		}
	}
	return b
}

func (t *Text) session(b []byte, ev *event.Event) []byte {
	color := ansiGreen
	if ev.Action == "close" {
		color = ansiYellow
	}
	b = t.style(b, color, "session "+ev.Action)
	b = append(b, " sid="...)
	b = termsafe.AppendString(b, ev.Sid)
	if ev.Transport != "" {
		b = append(b, ' ')
		b = termsafe.AppendString(b, ev.Transport)
	}
	if ev.EIO != 0 {
		b = append(b, " eio="...)
		b = strconv.AppendInt(b, int64(ev.EIO), 10)
	}
	if ev.Action == "open" {
		b = append(b, " pingInterval="...)
		b = strconv.AppendInt(b, int64(ev.PingInterval), 10)
		b = append(b, " pingTimeout="...)
		b = strconv.AppendInt(b, int64(ev.PingTimeout), 10)
		if ev.MaxPayload != 0 {
			b = append(b, " maxPayload="...)
			b = strconv.AppendInt(b, ev.MaxPayload, 10)
		}
		b = append(b, " upgrades=["...)
		for i, u := range ev.Upgrades {
			if i > 0 {
				b = append(b, ',')
			}
			b = termsafe.AppendString(b, u)
		}
		b = append(b, ']')
		if ev.Client != "" {
			b = append(b, " client="...)
			b = termsafe.AppendString(b, ev.Client)
		}
	}
	if ev.Reason != "" {
		b = append(b, " reason="...)
		b = termsafe.AppendQuoted(b, ev.Reason)
	}
	if ev.By != "" {
		b = append(b, " by="...)
		b = termsafe.AppendString(b, ev.By)
	}
	if ev.Code != 0 {
		b = append(b, " code="...)
		b = strconv.AppendInt(b, int64(ev.Code), 10)
	}
	if ev.How != "" {
		b = append(b, " how="...)
		b = strconv.AppendQuote(b, ev.How)
	}
	if ev.AgeMs != nil {
		b = append(b, " age="...)
		b = appendMs(b, *ev.AgeMs)
	}
	if ev.IdleMs != nil {
		b = append(b, " idle="...)
		b = appendMs(b, *ev.IdleMs)
	}
	return b
}

func (t *Text) http(b []byte, ev *event.Event) []byte {
	b = t.style(b, ansiDim, "http")
	b = append(b, ' ')
	b = appendClean(b, ev.Method, maxPath)
	b = append(b, ' ')
	b = appendClean(b, ev.Path, maxPath)
	b = append(b, ' ')
	switch {
	case ev.Status == 0:
		b = t.style(b, ansiRed, "---")
	case ev.Status >= 400:
		b = t.style(b, ansiRed, strconv.Itoa(ev.Status))
	default:
		b = strconv.AppendInt(b, int64(ev.Status), 10)
	}
	if ev.DurationMs != nil {
		b = append(b, ' ')
		b = appendMs(b, *ev.DurationMs)
	}
	if ev.Error != "" {
		b = append(b, ' ')
		b = t.style(b, ansiRed, ev.Error)
	}
	return b
}

func (t *Text) fault(b []byte, ev *event.Event) []byte {
	f := ev.Fault
	if f == nil {
		return t.style(b, ansiRed, "fault")
	}
	color := ansiYellow
	switch f.Severity {
	case event.Error:
		color = ansiRed
	case event.Info:
		color = ansiCyan
	}
	b = t.style(b, color, "fault "+string(f.Severity))
	b = append(b, ' ')
	b = termsafe.AppendString(b, f.Catalog)
	b = append(b, ' ')
	b = termsafe.AppendString(b, f.Code)
	if f.Count > 1 {
		b = append(b, " ×"...)
		b = strconv.AppendInt(b, int64(f.Count), 10)
	}
	if f.Cause != "" {
		// A consequence of another fault: one line under it, no fix of
		// its own to act on.
		b = append(b, " ↳ caused by "...)
		b = termsafe.AppendString(b, f.Cause)
		b = append(b, ": "...)
		return appendClean(b, f.Summary, 2*maxArgs)
	}
	if t.repeat(ev) {
		b = append(b, " again: "...)
		return appendClean(b, f.Summary, maxArgs/2)
	}
	b = append(b, ": "...)
	b = termsafe.AppendString(b, f.Summary)
	const indent = "\n                    "
	for _, e := range f.Evidence {
		b = append(b, indent...)
		b = append(b, "- "...)
		b = appendClean(b, e, 4*maxArgs)
	}
	if f.Fix != "" {
		b = append(b, indent...)
		b = t.style(b, ansiBold, "fix:")
		b = append(b, ' ')
		b = termsafe.AppendString(b, f.Fix)
	}
	return b
}

// maxFaultKeys bounds the memory of printed faults; past it a repeat is
// printed in full again, which is only verbose.
const maxFaultKeys = 4096

// repeat reports whether ev's folded fault was printed in full before (by
// code, client host and target, as the diagnoser folds), and remembers it.
func (t *Text) repeat(ev *event.Event) bool {
	f := ev.Fault
	host := ev.Client
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i+1:], "]") {
		host = host[:i]
	}
	k := f.Code + "|" + host + "|" + f.Target
	if _, ok := t.faults[k]; ok {
		return true
	}
	if t.faults == nil || len(t.faults) >= maxFaultKeys {
		t.faults = make(map[string]struct{})
	}
	t.faults[k] = struct{}{}
	return false
}

// appendWhere adds " polling c2s" style context to error lines.
func appendWhere(b []byte, ev *event.Event) []byte {
	for _, s := range [...]string{ev.Transport, ev.Dir} {
		if s != "" {
			b = append(b, ' ')
			b = termsafe.AppendString(b, s)
		}
	}
	return b
}

// appendMs prints a duration in ms with a precision that suits its size.
func appendMs(b []byte, ms float64) []byte {
	switch {
	case ms >= 1000:
		b = strconv.AppendFloat(b, ms/1000, 'f', 2, 64)
		return append(b, 's')
	case ms >= 100:
		b = strconv.AppendFloat(b, ms, 'f', 0, 64)
	default:
		b = strconv.AppendFloat(b, ms, 'f', 1, 64)
	}
	return append(b, "ms"...)
}

// appendClean appends s capped at max bytes (on a rune boundary),
// neutralised by termsafe so one event is always one terminal line and no
// payload can move the cursor or talk to the terminal.
func appendClean(b []byte, s string, max int) []byte {
	cut := false
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s, cut = s[:i], true
	}
	b = termsafe.AppendString(b, s)
	if cut {
		b = append(b, "…"...)
	}
	return b
}

// inject shows a fault sioproxy staged: "INJECTED drop-pongs: dropped
// pong \"3\"", so that it is never mistaken for the application's own.
func (t *Text) inject(b []byte, ev *event.Event) []byte {
	b = t.style(b, ansiYellow, "INJECTED ")
	b = appendClean(b, ev.Rule, maxPath)
	if ev.Transport != "" {
		b = append(b, ' ')
		b = append(b, ev.Transport...)
	}
	if ev.Dir != "" {
		b = append(b, ' ')
		b = append(b, ev.Dir...)
	}
	b = append(b, ": "...)
	b = appendClean(b, ev.Action, maxPath)
	if ev.Data != "" {
		b = append(b, ' ')
		b = appendClean(b, ev.Data, maxArgs)
	}
	return b
}

// appendCleanBytes is appendClean for bytes, without copying them.
func appendCleanBytes(b, s []byte, max int) []byte {
	return appendClean(b, unsafe.String(unsafe.SliceData(s), len(s)), max)
}
