package tui

import "github.com/charmbracelet/bubbles/key"

// packetCols are the widths of the packet stream's columns for the
// current terminal width. The args, the column a person reads, keep at
// least minArgs cells: the engine column goes first (its value moves into
// the socket.io column on rows without a Socket.IO packet), then the size,
// then time and sid shorten, then the type, name and namespace narrow.
type packetCols struct {
	time, sid, trans, engine, typ, nsp, name, size int
	shortTime, shortType                           bool
}

// The full widths, and the narrow ones a reduction step switches to.
const (
	wTimeFull, wTimeShort = 12, 9 // 15:04:05.000, 04:05.000
	wSidFull, wSidShort   = 8, 4
	wTrans                = 4
	wEngine               = 7
	wTypeFull, wTypeShort = 13, 9 // BINARY_EVENT, BIN_EVENT
	wNspFull, wNspShort   = 8, 6
	wNameFull, wNameShort = 18, 14
	wSize                 = 7
)

// minArgs is the args width the reductions aim for at width w.
func minArgs(w int) int { return max(20, w/4) }

// wideName is the event / ack column in wide terminals, where a long
// event name and an ack's latency both fit.
const wideName = 26

func (m *Model) packetCols() packetCols {
	c := packetCols{time: wTimeFull, sid: wSidFull, trans: wTrans, engine: wEngine,
		typ: wTypeFull, nsp: wNspFull, name: wNameFull, size: wSize}
	if m.scope != "" {
		c.sid = 0
	}
	if m.width >= 160 {
		c.name = wideName
	}
	steps := []func(){
		func() { c.engine = 0 },
		func() { c.size = 0 },
		func() { c.time, c.shortTime = wTimeShort, true },
		func() {
			if c.sid > 0 {
				c.sid = wSidShort
			}
		},
		func() { c.typ, c.shortType = wTypeShort, true },
		func() { c.name = wNameShort },
		func() { c.nsp = wNspShort },
	}
	for _, step := range steps {
		if c.args(m.width) >= minArgs(m.width) {
			break
		}
		step()
	}
	return c
}

// args is what is left for the args at width w.
func (c packetCols) args(w int) int {
	used := 2 + 2 // cursor marker, direction arrow
	for _, n := range [...]int{c.time, c.sid, c.trans, c.engine, c.typ, c.nsp, c.name, c.size} {
		if n > 0 {
			used += n + 1
		}
	}
	return w - used
}

// timeFormat is the layout of the time column.
func (c packetCols) timeFormat() string {
	if c.shortTime {
		return "04:05.000"
	}
	return "15:04:05.000"
}

// shortTypes abbreviate the long Socket.IO type names in narrow terminals.
var shortTypes = map[string]string{
	"BINARY_EVENT":  "BIN_EVENT",
	"BINARY_ACK":    "BIN_ACK",
	"CONNECT_ERROR": "CONN_ERR",
	"DISCONNECT":    "DISCONN",
}

// typeCell is the socket.io column: the type, shortened if narrow, or the
// engine packet type when the engine column is hidden.
func (c packetCols) typeCell(typ, engine string) string {
	if typ == "" && c.engine == 0 {
		return engine
	}
	if s, ok := shortTypes[typ]; ok && c.shortType {
		return s
	}
	return typ
}

// sessionCols are the widths of the session columns that give way in
// narrow terminals; 0 hides a column.
type sessionCols struct{ sid, client, age int }

// sessionWidths keeps the state, namespaces, counts, ping and faults of a
// session readable at 80 columns: the client address and the ages go
// first, and the sid shortens.
func sessionWidths(w int) sessionCols {
	switch {
	case w >= 120:
		return sessionCols{sid: 18, client: 17, age: 17}
	case w >= 100:
		return sessionCols{sid: 12, client: 0, age: 17}
	}
	return sessionCols{sid: 10}
}

// shortHints drops hints, the less used keys first, until the line fits
// in w cells, so that "? help" and "q quit" stay on screen in narrow
// terminals.
func shortHints(all []key.Binding, k KeyMap, w int, width func([]key.Binding) int) []key.Binding {
	out := append([]key.Binding(nil), all...)
	for _, drop := range []key.Binding{k.Pings, k.Save, k.Stats, k.Follow, k.Enter, k.NextPane} {
		if width(out) <= w {
			break
		}
		for i, b := range out {
			if b.Help() == drop.Help() {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	return out
}
