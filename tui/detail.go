package tui

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/termsafe"
)

// Caps on what the detail view formats; the recording keeps everything.
const (
	maxDetailJSON = 64 << 10
	maxHexDump    = 4 << 10
)

// packetDetail formats one stream row for the detail view.
func (m *Model) packetDetail(seq uint64, e *entry) string {
	ev := &e.ev
	var b strings.Builder
	label := func(name string) { b.WriteString(m.styles.Label.Render(fmt.Sprintf("%-11s", name))) }
	line := func(name, value string) {
		label(name)
		b.WriteString(value)
		b.WriteByte('\n')
	}
	b.WriteString(m.styles.Title.Render(fmt.Sprintf("Packet %d", seq)) + "\n\n")
	line("Time", ev.TS.Format("2006-01-02 15:04:05.000000"))
	sess := ev.Sid
	if ev.Client != "" {
		sess += "  client " + ev.Client
	}
	line("Session", sess)
	dir := "→ client to server"
	if ev.Dir == "s2c" {
		dir = "← server to client"
	}
	line("Direction", dir+" ("+ev.Dir+")")
	tr := ev.Transport
	if ev.EIO > 0 {
		tr += fmt.Sprintf("  EIO %d", ev.EIO)
	}
	line("Transport", tr)
	if ev.Kind == event.KindError {
		line("Error", ev.Error)
	} else {
		eng := ev.Engine
		if ev.Binary {
			eng += "  binary"
		}
		if ev.Data != "" {
			eng += "  data " + strconv.Quote(ev.Data)
		}
		line("Engine.IO", eng+"  "+strconv.Itoa(ev.Size)+" B on the wire")
	}
	if ev.Type != "" {
		sio := ev.Type + "  nsp " + nsOf(ev)
		if ev.Event != "" {
			sio += "  event " + strconv.Quote(ev.Event)
		}
		if ev.ID != nil {
			sio += "  id " + ev.IDString()
		}
		if ev.Attachments > 0 {
			sio += fmt.Sprintf("  %d attachment(s)", ev.Attachments)
		}
		if ev.Parser != "" {
			sio += "  parser " + ev.Parser
		}
		line("Socket.IO", sio)
	}
	if other := m.store.get(e.link); other != nil {
		if isAck(ev.Type) {
			ms, _ := m.ackLatency(e)
			line("Ack", fmt.Sprintf("answers packet %d (%s %q) after %s", e.link, other.ev.Type, other.ev.Event, formatMs(ms)))
		} else {
			ms, _ := m.ackLatency(other)
			line("Ack", fmt.Sprintf("answered by packet %d after %s", e.link, formatMs(ms)))
		}
	} else if ev.ID != nil && !isAck(ev.Type) {
		line("Ack", "not answered yet")
	}
	if ev.Exchange != 0 {
		if h, ok := m.exchanges[ev.Exchange]; ok {
			s := h.method + " " + h.path + " → " + strconv.Itoa(h.status)
			if h.durMs != nil {
				s += "  (" + formatMs(*h.durMs) + ")"
			}
			line("HTTP", s)
		} else {
			line("HTTP", fmt.Sprintf("exchange %d (no longer held)", ev.Exchange))
		}
	}
	m.writeHeaders(&b, ev)

	if ev.Trimmed > 0 {
		line("Trimmed", trimmedNote(ev))
	}
	if len(ev.Args) > 0 {
		b.WriteString("\n" + m.styles.Label.Render("Args") + "\n")
		b.WriteString(indent(prettyJSON(ev.Args), "  "))
	}
	for i, buf := range ev.Buffers {
		b.WriteString("\n" + m.styles.Label.Render(fmt.Sprintf("Attachment %d of %d (%d B)", i+1, len(ev.Buffers), len(buf))) + "\n")
		b.WriteString(indent(hexDump(buf), "  "))
	}
	if len(ev.Raw) > 0 {
		b.WriteString("\n" + m.styles.Label.Render(fmt.Sprintf("Raw wire bytes (%d B)", len(ev.Raw))) + "\n")
		b.WriteString(indent(hexDump(ev.Raw), "  "))
	}
	return b.String()
}

// writeHeaders adds the request and response headers of the exchange or
// WebSocket upgrade that carried the packet, when the Source keeps them.
func (m *Model) writeHeaders(b *strings.Builder, ev *event.Event) {
	hs, ok := m.opts.Source.(HeaderSource)
	if !ok {
		return
	}
	var req, resp http.Header
	switch {
	case ev.Exchange != 0:
		if x, ok := hs.Exchange(ev.Exchange); ok && x != nil {
			req, resp = x.ReqHeader, x.RespHeader
		}
	case ev.Conn != 0:
		if x, ok := hs.WSOpen(ev.Conn); ok && x != nil {
			req, resp = x.ReqHeader, x.RespHeader
		}
	}
	for _, h := range []struct {
		name string
		h    http.Header
	}{{"Request headers", req}, {"Response headers", resp}} {
		if len(h.h) == 0 {
			continue
		}
		b.WriteString("\n" + m.styles.Label.Render(h.name) + "\n")
		keys := make([]string, 0, len(h.h))
		for k := range h.h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range h.h[k] {
				b.WriteString("  " + termsafe.String(k) + ": " + termsafe.String(v) + "\n")
			}
		}
	}
}

// faultDetail formats a fault for the detail view.
func (m *Model) faultDetail(r *faultRow) string {
	var b strings.Builder
	f := &r.f
	b.WriteString(m.styles.Title.Render(fmt.Sprintf("Fault %s (%s)", f.Code, f.Catalog)) + "\n\n")
	w := max(20, m.width-13)
	line := func(name, value string) {
		for i, l := range strings.Split(ansi.Wrap(flatten(value), w, " "), "\n") {
			if i == 0 {
				b.WriteString(m.styles.Label.Render(fmt.Sprintf("%-11s", name)))
			} else {
				b.WriteString(strings.Repeat(" ", 11))
			}
			b.WriteString(l + "\n")
		}
	}
	line("Severity", string(f.Severity))
	if r.sid != "" {
		line("Session", r.sid)
	}
	line("Seen", fmt.Sprintf("%d time(s), first %s, last %s", f.Count, f.First.Format("15:04:05.000"), f.Last.Format("15:04:05.000")))
	line("Summary", f.Summary)
	if f.Cause != "" {
		line("Caused by", f.Cause)
	}
	for _, e := range f.Evidence {
		line("Evidence", e)
	}
	line("Fix", f.Fix)
	return b.String()
}

func prettyJSON(raw []byte) string {
	cut := len(raw) > maxDetailJSON
	if cut {
		return string(raw[:maxDetailJSON]) + fmt.Sprintf("\n… %d more bytes (the recording has them all)\n", len(raw)-maxDetailJSON)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw) + "\n(not valid JSON: " + err.Error() + ")\n"
	}
	buf.WriteByte('\n')
	return buf.String()
}

func hexDump(b []byte) string {
	if len(b) > maxHexDump {
		return hex.Dump(b[:maxHexDump]) + fmt.Sprintf("… %d more bytes\n", len(b)-maxHexDump)
	}
	return hex.Dump(b)
}

func indent(s, prefix string) string {
	s = strings.TrimSuffix(s, "\n")
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}

// helpText is the ? screen: the key map and the filter syntax.
func (m *Model) helpText() string {
	var b strings.Builder
	b.WriteString("\n" + m.help.FullHelpView(m.keys.FullHelp()) + "\n\n")
	b.WriteString(m.styles.Label.Render(" Filter") + "  terms separated by spaces must all match; -term negates; a|b lists alternatives\n")
	for _, l := range [][2]string{
		{"event:chat", "Socket.IO event name"},
		{"nsp:/admin", "namespace"},
		{"dir:c2s  dir:s2c", "direction"},
		{"transport:ws|polling", "transport"},
		{"type:EVENT  type:ping", "Socket.IO or Engine.IO packet type (type:error: decode errors)"},
		{"sid:abc", "session id prefix"},
		{"/regex/", "Go regular expression in the args"},
		{`text  "two words"`, "substring of the args or event name, any case"},
		{"-type:ACK", "hide what matches"},
	} {
		b.WriteString("   " + fit(l[0], 24) + m.styles.Help.Render(l[1]) + "\n")
	}
	b.WriteString("\n " + m.styles.Help.Render("Pings and pongs are hidden until p; upgrade probes always show.") + "\n")
	b.WriteString(" " + m.styles.Help.Render("Enter on a session limits the stream to it; esc shows all sessions again.") + "\n")
	b.WriteString(m.injectHelp()) // inject.go
	return b.String()
}
