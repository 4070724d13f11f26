package tui

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sioproxy/sioproxy/stats"
)

// writeStats draws the stats pane in the body (bodyHeight lines).
func (m *Model) writeStats(b *strings.Builder) {
	h := m.bodyHeight()
	lines := m.statsLines(h)
	for i := 0; i < h; i++ {
		if i < len(lines) {
			b.WriteString(fit(lines[i], m.width))
		}
		b.WriteByte('\n')
	}
}

func (m *Model) statsLines(h int) []string {
	p := &m.statsPane
	s := p.snap
	if s == nil {
		return []string{"", "  no stats yet: waiting for traffic", "", m.styles.Help.Render(" " + statsHelp())}
	}
	out := m.statsSummary(s)
	out = append(out, "")
	// What is left, minus two titles, two headers and the hint line, is
	// shared by the two tables.
	room := max(2, h-len(out)-5)
	evRows := clamp(len(s.Events), 1, max(room/2, room-max(1, len(s.Sessions))))
	ssRows := max(1, room-evRows)
	out = append(out, m.statsTitle(statsEvents, fmt.Sprintf("Events by name and direction (%d rows%s)", len(s.Events), namesNote(s))))
	out = append(out, m.styles.Label.Render(m.eventHeader()))
	out = append(out, m.statsTable(statsEvents, len(s.Events), evRows, func(i int) string { return m.eventStatsRow(&s.Events[i]) })...)
	out = append(out, m.statsTitle(statsSessions, fmt.Sprintf("Sessions (%d kept, rates per second over the last %s)", len(s.Sessions), shortDuration(s.SessionWindow))))
	out = append(out, m.styles.Label.Render(m.sessionStatsHeader()))
	out = append(out, m.statsTable(statsSessions, len(s.Sessions), ssRows, func(i int) string { return m.sessionStatsRow(&s.Sessions[i]) })...)
	out = append(out, m.styles.Help.Render(" "+statsHelp()))
	return out
}

func namesNote(s *stats.Snapshot) string {
	if s.NamesFull {
		return fmt.Sprintf("; names after the first %d count as %s", s.MaxNames, stats.Other)
	}
	return ""
}

func (m *Model) statsTitle(sec int, text string) string {
	p := &m.statsPane
	c := statsColumns[sec][p.sortCol[sec]]
	dir := "▼"
	if p.asc[sec] {
		dir = "▲"
	}
	text += " · sorted by " + c.title + " " + dir
	marker, st := "  ", m.styles.Pane
	if p.section == sec {
		marker, st = "▸ ", m.styles.PaneFocused
	}
	return st.Render(fit(marker+text, m.width))
}

// statsTable renders rows [top, top+n) of a section, keeping the cursor
// in view, and pads to n lines.
func (m *Model) statsTable(sec, total, n int, row func(i int) string) []string {
	p := &m.statsPane
	p.cur[sec] = clamp(p.cur[sec], 0, max(0, total-1))
	p.top[sec] = scrollTop(p.top[sec], p.cur[sec], n, total)
	out := make([]string, 0, n)
	for i := p.top[sec]; i < min(total, p.top[sec]+n); i++ {
		r := row(i)
		if p.section == sec && i == p.cur[sec] {
			r = m.styles.Selected.Render(fit("> "+r, m.width))
		} else {
			r = "  " + r
		}
		out = append(out, r)
	}
	if total == 0 {
		out = append(out, m.styles.Dim.Render("  none yet"))
	}
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

// Column widths of the events table.
var eventWidths = []int{24, 4, 7, 8, 9, 8, 8, 8, 8, statsBars + 2, 7, 8}

func (m *Model) eventHeader() string {
	titles := []string{"EVENT", "DIR", "MSG/S", "COUNT", "SIZE p50", "ACK p50", "p90", "p99", "max", "LATENCY", "NO ACK", "PENDING"}
	return "  " + row(titles, eventWidths, []bool{false, false, true, true, true, true, true, true, true, false, true, true})
}

func (m *Model) eventStatsRow(r *stats.EventRow) string {
	ack := func(v float64) string {
		if r.Ack.Count == 0 {
			return "-"
		}
		return formatMs(v)
	}
	cells := []string{
		escapeCell(r.Name), r.Dir, rate(r.Rate), strconv.FormatUint(r.Count, 10), humanBytes(int64(r.Size.P50)),
		ack(r.Ack.P50), ack(r.Ack.P90), ack(r.Ack.P99), ack(r.Ack.Max), histBlocks(r.Ack.Bars),
		strconv.FormatUint(r.Unanswered, 10), strconv.FormatUint(r.Pending, 10),
	}
	return row(cells, eventWidths, []bool{false, false, true, true, true, true, true, true, true, false, true, true})
}

// sessionWidths are the column widths of the sessions table; the
// sparklines take what the terminal's width leaves.
func (m *Model) sessionWidths() []int {
	spark := clamp((m.width-110)/2, 4, 24) + 1
	return []int{21, 15, spark, 7, spark, 8, 8, 7, 7, 7}
}

func (m *Model) sessionStatsHeader() string {
	titles := []string{"SID", "TRANSPORT", "PACKETS/S", "", "BYTES/S", "", "PACKETS", "RTT", "FAULTS", "NO ACK"}
	return "  " + row(titles, m.sessionWidths(), []bool{false, false, false, true, false, true, true, true, true, true}) + "STATE"
}

func (m *Model) sessionStatsRow(r *stats.SessionRow) string {
	tr := r.Transport
	if r.Upgraded {
		tr += "↑"
	}
	if r.EIO > 0 {
		tr += " v" + strconv.Itoa(r.EIO)
	}
	rtt := "-"
	if r.PingRTTMs > 0 {
		rtt = formatMs(r.PingRTTMs)
	}
	sw := m.sessionWidths()
	cells := []string{
		escapeCell(r.Sid), tr,
		sparkline(r.PacketsPerSec, sw[2]-1), rate(recent(r.PacketsPerSec)),
		sparkline(r.BytesPerSec, sw[4]-1), humanBytes(int64(recent(r.BytesPerSec))),
		strconv.FormatUint(r.Packets[0]+r.Packets[1], 10), rtt, strconv.Itoa(r.Faults), strconv.FormatUint(r.UnansweredAcks, 10),
	}
	return row(cells, sw, []bool{false, false, false, true, false, true, true, true, true, true}) + escapeCell(sessionState(r))
}

// statsSummary is the overall block: rates over the last minutes,
// sessions and transports, upgrades, heartbeats, reconnects, faults.
func (m *Model) statsSummary(s *stats.Snapshot) []string {
	w := clamp((m.width-66)/2, 10, 60)
	label := m.styles.Label.Render
	var out []string
	out = append(out, " "+label("Overall")+fmt.Sprintf(" (last %s)  packets/s ", shortDuration(s.OverallWindow))+
		sparkline(s.PacketsPerSec, w)+" "+rate(recent(s.PacketsPerSec))+"   bytes/s "+sparkline(s.BytesPerSec, w)+" "+humanBytes(int64(recent(s.BytesPerSec))))

	var open, seen uint64
	trs := map[string]uint64{}
	for k, v := range s.SessionsActive {
		open += v
		trs[k.Transport+" v"+strconv.Itoa(k.EIO)] += v
	}
	for _, v := range s.SessionsOpened {
		seen += v
	}
	var tparts []string
	for _, k := range slices.Sorted(maps.Keys(trs)) {
		tparts = append(tparts, fmt.Sprintf("%s %d", k, trs[k]))
	}
	hsOK, hsAll := s.Handshakes["ok"], sumMap(s.Handshakes)
	up := fmt.Sprintf("upgrades %d ok / %d failed", s.Upgrades["ok"], s.Upgrades["failed"])
	if n := s.Upgrades["ok"] + s.Upgrades["failed"]; n > 0 {
		up += fmt.Sprintf(" (%.0f%%)", 100*float64(s.Upgrades["ok"])/float64(n))
	}
	out = append(out, " "+label("Sessions")+fmt.Sprintf(" %d open / %d seen", open, seen)+
		joinNonEmpty(" · ", strings.Join(tparts, ", "), fmt.Sprintf("handshakes %d ok / %d failed", hsOK, hsAll-hsOK), up, fmt.Sprintf("reconnects %d", s.Reconnects)))
	rtt := "ping RTT -"
	if s.PingRTT.Count > 0 {
		rtt = fmt.Sprintf("ping RTT p50 %s p90 %s p99 %s max %s %s", formatMs(s.PingRTT.P50), formatMs(s.PingRTT.P90), formatMs(s.PingRTT.P99), formatMs(s.PingRTT.Max), histBlocks(s.PingRTT.Bars))
	}
	var unanswered, pending uint64
	for _, e := range s.Events {
		unanswered += e.Unanswered
		pending += e.Pending
	}
	out = append(out, " "+label("Health")+" "+rtt+fmt.Sprintf(" · acks never answered %d, pending %d · decode errors %d", unanswered, pending, s.DecodeErrors))
	faults := fmt.Sprintf(" %d (last %s) ", s.FaultsTotal, shortDuration(s.FaultWindow)) + sparkline(s.FaultsOverTime, 30)
	var codes []string
	for _, k := range slices.Sorted(maps.Keys(s.Faults)) {
		codes = append(codes, fmt.Sprintf("%s ×%d", escapeCell(k), s.Faults[k]))
	}
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(s.RelayErrors)) {
		errs = append(errs, fmt.Sprintf("relay %s ×%d", escapeCell(k), s.RelayErrors[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Drops)) {
		errs = append(errs, fmt.Sprintf("dropped by %s %d", escapeCell(k), s.Drops[k]))
	}
	out = append(out, " "+label("Faults")+faults+joinNonEmpty(" · ", strings.Join(codes, ", "), strings.Join(errs, ", ")))
	return out
}

func joinNonEmpty(sep string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p != "" {
			b.WriteString(sep + p)
		}
	}
	return b.String()
}

func sumMap(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// row lays cells out in fixed widths, right-aligning numeric ones.
func row(cells []string, widths []int, right []bool) string {
	var b strings.Builder
	for i, c := range cells {
		w := widths[i]
		if right[i] {
			b.WriteString(padLeft(fit(c, w-1), w-1) + " ")
		} else {
			b.WriteString(fit(c, w-1) + " ")
		}
	}
	return b.String()
}

func rate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 100000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v/1000, 'f', 0, 64) + "k"
}

var blocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the newest values of v in at most w cells, averaging
// groups of slots when there are more slots than cells; an empty slot is
// a space, so silence and a trickle look different.
func sparkline(v []float64, w int) string {
	if w <= 0 || len(v) == 0 {
		return ""
	}
	group := (len(v) + w - 1) / w
	n := len(v) / group
	vals := make([]float64, n)
	start := len(v) - n*group
	var peak float64
	for i := range vals {
		var s float64
		for _, x := range v[start+i*group : start+(i+1)*group] {
			s += x
		}
		vals[i] = s / float64(group)
		peak = max(peak, vals[i])
	}
	return levels(vals, peak)
}

// histBlocks draws histogram bars as block heights.
func histBlocks(bars []stats.Bar) string {
	vals := make([]float64, len(bars))
	var peak float64
	for i, b := range bars {
		vals[i] = float64(b.Count)
		peak = max(peak, vals[i])
	}
	return levels(vals, peak)
}

func levels(vals []float64, peak float64) string {
	var b strings.Builder
	for _, x := range vals {
		if x <= 0 || peak <= 0 {
			b.WriteByte(' ')
			continue
		}
		i := int(x / peak * float64(len(blocks)-1))
		b.WriteRune(blocks[clamp(i, 0, len(blocks)-1)])
	}
	return b.String()
}
