package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe"
)

// layout is how many rows each section of the main screen gets.
type layout struct {
	sess, pkts, faults, faultInfo int
	filterLine, noticeLine        bool
}

// fixed lines: header, three pane titles, the packet column header,
// status bar and key hints.
const fixedLines = 7

func (m *Model) layout() layout {
	var l layout
	l.filterLine = m.mode == modeFilter || m.mode == modeSave || !m.filter.Empty() || m.filterErr != ""
	l.noticeLine = m.message != "" || (m.mode == modeFilter && m.filterErr != "")
	avail := m.height - fixedLines
	if l.filterLine {
		avail--
	}
	if l.noticeLine {
		avail--
	}
	l.sess, l.pkts, l.faults, l.faultInfo = m.shareRows(avail)
	return l
}

func (m *Model) paneRows(p pane) int {
	l := m.layout()
	switch p {
	case paneSessions:
		return l.sess
	case paneFaults:
		return l.faults
	}
	return l.pkts
}

// paneAt maps a screen row to the pane drawn there.
func (m *Model) paneAt(y int) pane {
	l := m.layout()
	switch {
	case y < 2+l.sess:
		return paneSessions
	case y < 2+l.sess+2+l.pkts:
		return panePackets
	}
	return paneFaults
}

// bodyHeight is the room between the header and the status lines, for
// the detail and help screens.
func (m *Model) bodyHeight() int { return max(1, m.height-3) }

// ensurePacketVisible keeps the cursor inside the packet pane, moving the
// top row only as far as needed.
func (m *Model) ensurePacketVisible() {
	n := m.view.len()
	if n == 0 {
		m.cursorSeq, m.topSeq = 0, 0
		return
	}
	rows := m.layout().pkts
	ci := min(m.view.index(m.cursorSeq), n-1)
	ti := min(m.view.index(m.topSeq), n-1)
	if ci < ti {
		ti = ci
	}
	if ci >= ti+rows {
		ti = ci - rows + 1
	}
	// Never leave rows empty below the last one while earlier rows exist
	// (after a filter or scope change, or when the pane grew).
	ti = max(0, min(ti, n-rows))
	m.cursorSeq, m.topSeq = m.view.at(ci), m.view.at(ti)
}

// View implements tea.Model. It returns the cached frame unless something
// changed, and formats only the rows on screen.
func (m *Model) View() string {
	if !m.dirty && m.cache != "" {
		return m.cache
	}
	m.dirty = false
	m.renders++
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	m.writeHeader(&b)
	switch m.mode {
	case modeDetail:
		b.WriteString(m.detail.View())
		b.WriteByte('\n')
	case modeHelp:
		writeLines(&b, m.helpText(), m.width, m.bodyHeight())
	case modeMain:
		if m.statsPane.on {
			m.writeStats(&b)
			break
		}
		if !m.interceptView(&b) {
			m.writeMain(&b)
		}
	default:
		if !m.interceptView(&b) {
			m.writeMain(&b)
		}
	}
	m.writeStatus(&b)
	m.cache = b.String()
	return m.cache
}

func writeLines(b *strings.Builder, text string, w, n int) {
	lines := strings.Split(text, "\n")
	for i := 0; i < n; i++ {
		if i < len(lines) {
			b.WriteString(ansi.Truncate(lines[i], w, "…"))
		}
		b.WriteByte('\n')
	}
}

func (m *Model) writeHeader(b *strings.Builder) {
	state := "FOLLOW"
	if !m.follow {
		state = "PAUSED"
	}
	pings := "pings hidden"
	if m.showPings {
		pings = "pings shown"
	}
	right := state + " · " + pings
	left := " " + m.opts.Title
	if m.mode == modeDetail {
		left += " › detail"
	} else if m.mode == modeHelp {
		left += " › help"
	} else if m.statsPane.on {
		left += " › stats"
	}
	gap := max(1, m.width-ansi.StringWidth(left)-ansi.StringWidth(right)-1)
	b.WriteString(m.styles.Title.Render(left) + strings.Repeat(" ", gap) + right + " ")
	b.WriteByte('\n')
}

func (m *Model) paneTitle(b *strings.Builder, p pane, text string) {
	marker := "  "
	st := m.styles.Pane
	if m.focus == p {
		marker, st = "▸ ", m.styles.PaneFocused
	}
	b.WriteString(st.Render(fit(marker+text, m.width)))
	b.WriteByte('\n')
}

func (m *Model) writeMain(b *strings.Builder) {
	m.ensurePacketVisible() // the pane's height follows the focus and the content
	l := m.layout()

	m.paneTitle(b, paneSessions, fmt.Sprintf("Sessions (%d)", len(m.sessRows)))
	m.sessTop = scrollTop(m.sessTop, m.sessCur, l.sess, len(m.sessRows))
	for i := 0; i < l.sess; i++ {
		r := m.sessTop + i
		switch {
		case r < len(m.sessRows):
			b.WriteString(m.sessionRow(&m.sessRows[r], r == m.sessCur && m.focus == paneSessions))
		case i == 0:
			b.WriteString(m.styles.Dim.Render(fit("  no sessions yet", m.width)))
		}
		b.WriteByte('\n')
	}

	scope := "all sessions"
	if m.scope != "" {
		scope = "session " + m.scope + " (esc: all)"
	}
	m.paneTitle(b, panePackets, fmt.Sprintf("Packets (%d shown) · %s", m.view.len(), scope))
	b.WriteString(m.styles.Dim.Render(m.packetHeader()))
	b.WriteByte('\n')
	m.writePackets(b, l.pkts)

	m.paneTitle(b, paneFaults, fmt.Sprintf("Faults (%d)", m.faults.len()))
	m.faultTop = scrollTop(m.faultTop, m.faultCur, l.faults, m.faults.len())
	for i := 0; i < l.faults; i++ {
		r := m.faultTop + i
		switch {
		case r < m.faults.len():
			b.WriteString(m.faultRow(&m.faults.rows[r], r == m.faultCur && m.focus == paneFaults))
		case i == 0:
			b.WriteString(m.styles.Dim.Render(fit("  no faults diagnosed", m.width)))
		}
		b.WriteByte('\n')
	}
	if l.faultInfo > 0 && m.faultCur < m.faults.len() {
		info := m.faultInfoLines(&m.faults.rows[m.faultCur])
		for i := 0; i < l.faultInfo; i++ {
			if i < len(info) {
				b.WriteString(info[i])
			}
			b.WriteByte('\n')
		}
	}

	if l.filterLine {
		b.WriteString(m.filterLine())
		b.WriteByte('\n')
	}
	if l.noticeLine {
		if m.mode == modeFilter && m.filterErr != "" {
			b.WriteString(m.styles.FilterErr.Render(fit(" ✗ "+m.filterErr+" (the previous filter still applies)", m.width)))
		} else {
			b.WriteString(fit(" "+m.message, m.width))
		}
		b.WriteByte('\n')
	}
}

func scrollTop(top, cur, rows, n int) int {
	if cur < top {
		top = cur
	}
	if cur >= top+rows {
		top = cur - rows + 1
	}
	return clamp(top, 0, max(0, n-rows))
}

func (m *Model) writePackets(b *strings.Builder, rows int) {
	n := m.view.len()
	if n == 0 {
		msg := "  waiting for packets…"
		if !m.filter.Empty() || m.scope != "" {
			msg = "  no packets match"
		}
		b.WriteString(m.styles.Dim.Render(fit(msg, m.width)))
		b.WriteByte('\n')
		rows--
		for ; rows > 0; rows-- {
			b.WriteByte('\n')
		}
		return
	}
	var link uint64
	if e := m.store.get(m.cursorSeq); e != nil {
		link = e.link
	}
	ti := m.view.index(m.topSeq)
	for i := 0; i < rows; i++ {
		if ti+i < n {
			seq := m.view.at(ti + i)
			b.WriteString(m.packetRow(seq, m.store.get(seq), seq == m.cursorSeq, link != 0 && seq == link))
		}
		b.WriteByte('\n')
	}
}

func (m *Model) filterLine() string {
	switch {
	case m.mode == modeFilter || m.mode == modeSave:
		return ansi.Truncate(" "+m.input.View(), m.width, "…")
	case m.filterErr != "":
		return m.styles.FilterErr.Render(fit(" ✗ "+m.filterErr, m.width))
	}
	return fit(" filter: "+m.filter.String()+"   (/ to edit)", m.width)
}

func (m *Model) writeStatus(b *strings.Builder) {
	st := m.stats
	listen, target := m.opts.Listen, m.opts.Target
	if st.Listen != "" {
		listen = st.Listen
	}
	if st.Target != "" {
		target = st.Target
	}
	parts := make([]string, 0, 6)
	if listen != "" || target != "" {
		parts = append(parts, listen+" → "+target)
	}
	if up := m.upstream.status(); up != "" {
		parts = append(parts, up)
	}
	parts = append(parts, strconv.Itoa(m.rate.shown)+" pkts/s")
	drops := st.BusDrops + max(st.ObsDrops, m.dropEvts) + m.missed
	parts = append(parts, "drops "+strconv.FormatUint(drops, 10))
	if ev := m.store.evicted; ev > 0 {
		parts = append(parts, strconv.FormatUint(ev, 10)+" fell out of view")
	}
	if st.DetailDrops > 0 {
		parts = append(parts, strconv.FormatUint(st.DetailDrops, 10)+" details not kept")
	}
	parts = appendTrimmed(parts, st)
	switch {
	case st.Recording && st.RecordErr != "":
		parts = append(parts, "✗ REC stopped: "+st.RecordErr)
	case st.Recording && st.RecordDrops > 0:
		parts = append(parts, "● REC "+st.RecordPath+" ("+strconv.FormatUint(st.RecordDrops, 10)+" not recorded)")
	case st.Recording:
		parts = append(parts, "● REC "+st.RecordPath)
	}
	if st.ReplayTotal > 0 {
		parts = append(parts, replayProgress(st.ReplayDone, st.ReplayTotal))
	}
	if s := m.injectStatus(); s != "" {
		parts = append(parts, s)
	}
	b.WriteString(m.styles.Status.Render(fit(termsafe.String(" "+strings.Join(parts, " │ ")), m.width)))
	b.WriteByte('\n')
	hints := shortHints(m.keys.ShortHelp(), m.keys, m.width-1, func(bs []key.Binding) int {
		h := m.help
		h.Width = 0 // measure untruncated
		return ansi.StringWidth(h.ShortHelpView(bs))
	})
	b.WriteString(ansi.Truncate(" "+m.help.ShortHelpView(hints), m.width, "…"))
}

func (m *Model) packetHeader() string {
	cols := m.packetCols()
	var sb strings.Builder
	sb.WriteString("  ")
	sb.WriteString(fit("time", cols.time))
	sb.WriteByte(' ')
	if cols.sid > 0 {
		sb.WriteString(fit("sid", cols.sid))
		sb.WriteByte(' ')
	}
	sb.WriteString("  ")
	typ := "socket.io"
	if cols.shortType {
		typ = "type"
	}
	for _, c := range []struct {
		s string
		w int
	}{{"tr", cols.trans}, {"engine", cols.engine}, {typ, cols.typ}, {"nsp", cols.nsp}, {"event / ack", cols.name}} {
		if c.w > 0 {
			sb.WriteString(fit(c.s, c.w))
			sb.WriteByte(' ')
		}
	}
	rest := m.width - ansi.StringWidth(sb.String()) - sizeCell(cols)
	sb.WriteString(fit("args", rest))
	if cols.size > 0 {
		sb.WriteByte(' ')
		sb.WriteString(padLeft("size", cols.size))
	}
	return fit(sb.String(), m.width)
}

// sizeCell is the room the size column takes, its separator included.
func sizeCell(c packetCols) int {
	if c.size == 0 {
		return 0
	}
	return c.size + 1
}

func (m *Model) packetRow(seq uint64, e *entry, selected, linked bool) string {
	ev := &e.ev
	cols := m.packetCols()
	var sb strings.Builder
	switch {
	case selected:
		sb.WriteString("> ")
	case linked:
		sb.WriteString("~ ")
	default:
		sb.WriteString("  ")
	}
	sb.WriteString(fit(ev.TS.Format(cols.timeFormat()), cols.time))
	sb.WriteByte(' ')
	if cols.sid > 0 {
		sb.WriteString(fit(ev.Sid, cols.sid))
		sb.WriteByte(' ')
	}
	arrow := "→"
	if ev.Dir == "s2c" {
		arrow = "←"
	}
	sb.WriteString(arrow)
	sb.WriteByte(' ')
	if ev.Kind == event.KindInject {
		return m.injectRow(&sb, ev, selected, linked) // inject.go
	}
	if ev.Kind == "error" {
		rest := m.width - ansi.StringWidth(sb.String())
		sb.WriteString(fit("decode error: "+ev.Error, rest))
		return m.styleRow(fit(sb.String(), m.width), selected, linked, true)
	}
	tr := "poll"
	if ev.Transport == "websocket" {
		tr = "ws"
	}
	sb.WriteString(fit(tr, cols.trans))
	sb.WriteByte(' ')
	if cols.engine > 0 {
		sb.WriteString(fit(ev.Engine, cols.engine))
		sb.WriteByte(' ')
	}
	sb.WriteString(fit(cols.typeCell(ev.Type, ev.Engine), cols.typ))
	sb.WriteByte(' ')
	nsp := ev.Nsp
	if nsp == "" && ev.Type != "" {
		nsp = "/"
	}
	sb.WriteString(fit(nsp, cols.nsp))
	sb.WriteByte(' ')
	sb.WriteString(fit(m.nameCellFit(seq, e, cols.name), cols.name))
	sb.WriteByte(' ')
	rest := m.width - ansi.StringWidth(sb.String()) - sizeCell(cols)
	sb.WriteString(fit(activeMark(ev)+preview(ev), rest))
	if cols.size > 0 {
		sb.WriteByte(' ')
		sb.WriteString(padLeft(humanBytes(int64(ev.Size)), cols.size))
	}
	return m.styleRow(fit(sb.String(), m.width), selected, linked, false)
}

func (m *Model) styleRow(s string, selected, linked, isErr bool) string {
	switch {
	case selected:
		return m.styles.Selected.Render(s)
	case linked:
		return m.styles.Linked.Render(s)
	case isErr:
		return m.styles.ErrorRow.Render(s)
	}
	return s
}

// nameCell is the event name, or the ack id with the ack's latency.
func (m *Model) nameCell(seq uint64, e *entry) string {
	ev := &e.ev
	if ev.ID == nil {
		return ev.Event
	}
	id := "#" + ev.IDString()
	if !isAck(ev.Type) {
		if ev.Event != "" {
			return ev.Event + " " + id
		}
		return id
	}
	s := id + " ↩"
	if name := m.ackedEvent(e); name != "" {
		s += " " + name
	}
	if ms, ok := m.ackLatency(e); ok {
		return s + " " + formatMs(ms)
	}
	return s
}

// nameCellFit is nameCell in w cells: the event name gives way before
// the ack id and latency do.
func (m *Model) nameCellFit(seq uint64, e *entry, w int) string {
	s := m.nameCell(seq, e)
	if ansi.StringWidth(s) <= w || e.ev.ID == nil {
		return s
	}
	if !isAck(e.ev.Type) {
		id := " #" + strconv.FormatInt(*e.ev.ID, 10)
		if room := w - ansi.StringWidth(id); e.ev.Event != "" && room >= 2 {
			return ansi.Truncate(e.ev.Event, room, "…") + id
		}
		return s
	}
	name := m.ackedEvent(e)
	ms, ok := m.ackLatency(e)
	if name == "" || !ok {
		return s
	}
	head := "#" + strconv.FormatInt(*e.ev.ID, 10) + " ↩ "
	tail := " " + formatMs(ms)
	room := w - ansi.StringWidth(head) - ansi.StringWidth(tail)
	if room < 2 {
		return s
	}
	return head + ansi.Truncate(name, room, "…") + tail
}

// ackedEvent is the name of the EVENT an ACK answers: the decoder's, else
// that of the linked row.
func (m *Model) ackedEvent(e *entry) string {
	if e.ev.AckEvent != "" {
		return e.ev.AckEvent
	}
	if t := m.store.get(e.link); t != nil {
		return t.ev.Event
	}
	return ""
}

// ackLatency is the ack's own figure if the decoder gave one, else the time
// since its linked EVENT.
func (m *Model) ackLatency(e *entry) (float64, bool) {
	if e.ev.AckMs != nil {
		return *e.ev.AckMs, true
	}
	if t := m.store.get(e.link); t != nil {
		return float64(e.ev.TS.Sub(t.ev.TS)) / float64(time.Millisecond), true
	}
	return 0, false
}

// maxPreview caps the bytes of args formatted for one row.
const maxPreview = 256

func preview(ev *event.Event) string {
	var s string
	switch {
	case len(ev.Args) > 0:
		a := ev.Args
		if len(a) > maxPreview {
			a = a[:maxPreview]
		}
		s = string(a)
	case ev.Data != "":
		s = strconv.Quote(ev.Data)
	case ev.Error != "":
		s = ev.Error
	}
	if ev.Attachments > 0 {
		s = fmt.Sprintf("[%d bin] ", ev.Attachments) + s
	}
	return flatten(s)
}

// flatten replaces control characters so one row stays one line.
func flatten(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func (m *Model) sessionRow(r *SessionRow, selected bool) string {
	var sb strings.Builder
	if selected {
		sb.WriteString("> ")
	} else {
		sb.WriteString("  ")
	}
	state := r.Upgrade
	if state == "" {
		state = r.Transport
	}
	if r.Closed {
		state = "closed"
	}
	eio := "-"
	if r.EIO > 0 {
		eio = "v" + strconv.Itoa(r.EIO)
	}
	rtt := "-"
	if r.PingRTT > 0 {
		rtt = formatMs(float64(r.PingRTT) / float64(time.Millisecond))
	}
	badge := ""
	if r.Faults > 0 {
		badge = "⚠" + strconv.Itoa(r.Faults)
	}
	w := sessionWidths(m.width)
	cols := []struct {
		s string
		w int
	}{
		{r.Sid, w.sid}, {r.Client, w.client}, {state, 9}, {eio, 2},
		{strings.Join(r.Namespaces, ","), 10},
		{fmt.Sprintf("↑%d/%s", r.PacketsC2S, humanBytes(r.BytesC2S)), 11},
		{fmt.Sprintf("↓%d/%s", r.PacketsS2C, humanBytes(r.BytesS2C)), 11},
		{"age " + m.age(r.Opened) + " idle " + m.age(r.LastActivity), w.age},
		{"rtt " + rtt, 9}, {badge, 3},
	}
	for _, c := range cols {
		if c.w == 0 {
			continue
		}
		sb.WriteString(fit(c.s, c.w))
		sb.WriteByte(' ')
	}
	sb.WriteString(r.ClosedReason)
	row := fit(sb.String(), m.width)
	if selected {
		return m.styles.Selected.Render(row)
	}
	return row
}

func (m *Model) faultRow(r *faultRow, selected bool) string {
	var sb strings.Builder
	if selected {
		sb.WriteString("> ")
	} else {
		sb.WriteString("  ")
	}
	sev := strings.ToUpper(string(r.f.Severity))
	sevStyled := fit(sev, 7)
	if !selected {
		switch r.f.Severity {
		case "error":
			sevStyled = m.styles.SevError.Render(sevStyled)
		case "warning":
			sevStyled = m.styles.SevWarning.Render(sevStyled)
		default:
			sevStyled = m.styles.SevInfo.Render(sevStyled)
		}
	}
	sb.WriteString(sevStyled)
	sb.WriteByte(' ')
	code, sid := 28, 12
	if m.width < 100 {
		// Keep room for the summary, the part that says what happened.
		code, sid = 22, 8
	}
	for _, c := range []struct {
		s string
		w int
	}{{causedMark(r.f.Cause) + r.f.Code, code}, {r.f.Catalog, 4}, {r.sid, sid}, {"×" + strconv.Itoa(r.f.Count), 6}} {
		sb.WriteString(fit(c.s, c.w))
		sb.WriteByte(' ')
	}
	rest := m.width - ansi.StringWidth(sb.String())
	sb.WriteString(fit(flatten(r.f.Summary), rest))
	row := fit(sb.String(), m.width)
	if selected {
		return m.styles.Selected.Render(row)
	}
	return row
}

// faultInfoLines is the summary, evidence and fix of a fault, wrapped.
func (m *Model) faultInfoLines(r *faultRow) []string {
	w := max(10, m.width-4)
	var out []string
	add := func(label, text string) {
		for i, line := range strings.Split(ansi.Wrap(flatten(text), w-len(label), " "), "\n") {
			if i == 0 {
				out = append(out, "  "+m.styles.Label.Render(label)+line)
			} else {
				out = append(out, "  "+strings.Repeat(" ", len(label))+line)
			}
		}
	}
	add("Summary  ", r.f.Summary)
	for _, e := range r.f.Evidence {
		add("Evidence ", e)
	}
	add("Fix      ", r.f.Fix)
	return out
}

// fit pads or truncates s to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

func padLeft(s string, w int) string {
	if sw := ansi.StringWidth(s); sw < w {
		return strings.Repeat(" ", w-sw) + s
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n < 10000:
		return strconv.FormatInt(n, 10) + "B"
	case n < 10_000_000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "kB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "MB"
}

func formatMs(ms float64) string {
	if ms < 10 {
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	}
	if ms < 10000 {
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
}

func shortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}
