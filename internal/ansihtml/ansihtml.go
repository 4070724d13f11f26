// Package ansihtml renders terminal output with SGR colour sequences (as
// `tmux capture-pane -e` prints it) as an HTML page, so a browser can take
// a screenshot of a terminal screen. Only SGR is interpreted; every other
// escape sequence is dropped, and all text is HTML-escaped.
package ansihtml

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// style is the SGR state.
type style struct {
	fg, bg                          string // CSS colours, "" for the default
	bold, faint, italic, under, rev bool
}

func (s style) css(defFG, defBG string) string {
	fg, bg := s.fg, s.bg
	if s.rev {
		fg, bg = cmpDef(bg, defBG), cmpDef(fg, defFG)
	}
	var parts []string
	if fg != "" {
		parts = append(parts, "color:"+fg)
	}
	if bg != "" {
		parts = append(parts, "background:"+bg)
	}
	if s.bold {
		parts = append(parts, "font-weight:bold")
	}
	if s.faint {
		parts = append(parts, "opacity:.7")
	}
	if s.italic {
		parts = append(parts, "font-style:italic")
	}
	if s.under {
		parts = append(parts, "text-decoration:underline")
	}
	return strings.Join(parts, ";")
}

func cmpDef(c, def string) string {
	if c == "" {
		return def
	}
	return c
}

// The xterm palette for the 16 basic colours.
var basic = [16]string{"#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
	"#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"}

func color256(n int) string {
	switch {
	case n < 16:
		return basic[n]
	case n < 232:
		n -= 16
		v := func(x int) int {
			if x == 0 {
				return 0
			}
			return 55 + 40*x
		}
		return fmt.Sprintf("#%02x%02x%02x", v(n/36), v(n/6%6), v(n%6))
	case n < 256:
		g := 8 + 10*(n-232)
		return fmt.Sprintf("#%02x%02x%02x", g, g, g)
	}
	return ""
}

// apply folds one SGR parameter list into s.
func (s *style) apply(params []int) {
	if len(params) == 0 {
		params = []int{0}
	}
	for i := 0; i < len(params); i++ {
		p := params[i]
		switch {
		case p == 0:
			*s = style{}
		case p == 1:
			s.bold = true
		case p == 2:
			s.faint = true
		case p == 3:
			s.italic = true
		case p == 4:
			s.under = true
		case p == 7:
			s.rev = true
		case p == 22:
			s.bold, s.faint = false, false
		case p == 23:
			s.italic = false
		case p == 24:
			s.under = false
		case p == 27:
			s.rev = false
		case p >= 30 && p <= 37:
			s.fg = basic[p-30]
		case p == 39:
			s.fg = ""
		case p >= 40 && p <= 47:
			s.bg = basic[p-40]
		case p == 49:
			s.bg = ""
		case p >= 90 && p <= 97:
			s.fg = basic[p-90+8]
		case p >= 100 && p <= 107:
			s.bg = basic[p-100+8]
		case (p == 38 || p == 48) && i+1 < len(params):
			var c string
			switch {
			case params[i+1] == 5 && i+2 < len(params):
				c = color256(params[i+2])
				i += 2
			case params[i+1] == 2 && i+4 < len(params):
				c = fmt.Sprintf("#%02x%02x%02x", params[i+2]&255, params[i+3]&255, params[i+4]&255)
				i += 4
			default:
				i++
			}
			if p == 38 {
				s.fg = c
			} else {
				s.bg = c
			}
		}
	}
}

// Options style the page.
type Options struct {
	Title      string
	Foreground string // default #d4d4d4
	Background string // default #1e1e1e
	FontSize   int    // px, default 14
}

// Convert renders terminal text as a complete HTML page.
func Convert(text string, o Options) string {
	if o.Foreground == "" {
		o.Foreground = "#d4d4d4"
	}
	if o.Background == "" {
		o.Background = "#1e1e1e"
	}
	if o.FontSize == 0 {
		o.FontSize = 14
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title><style>body{margin:0;background:%s}"+
		"pre{margin:0;padding:12px;color:%s;background:%s;font:%dpx/1.2 'DejaVu Sans Mono',Menlo,Consolas,monospace;white-space:pre}</style></head><body><pre>",
		html.EscapeString(o.Title), o.Background, o.Foreground, o.Background, o.FontSize)
	var cur style
	open := false
	flushStyle := func(next style) {
		if next == cur {
			return
		}
		if open {
			b.WriteString("</span>")
			open = false
		}
		cur = next
		if css := cur.css(o.Foreground, o.Background); css != "" {
			b.WriteString(`<span style="` + css + `">`)
			open = true
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c != 0x1b {
			j := strings.IndexByte(text[i:], 0x1b)
			if j < 0 {
				j = len(text) - i
			}
			b.WriteString(html.EscapeString(text[i : i+j]))
			i += j
			continue
		}
		// ESC [ params final
		if i+1 < len(text) && text[i+1] == '[' {
			j := i + 2
			for j < len(text) && (text[j] < 0x40 || text[j] > 0x7e) {
				j++
			}
			if j >= len(text) {
				break
			}
			if text[j] == 'm' {
				next := cur
				next.apply(parseParams(text[i+2 : j]))
				flushStyle(next)
			}
			i = j + 1
			continue
		}
		if i+1 < len(text) && strings.IndexByte("()*+", text[i+1]) >= 0 {
			i += 3 // a charset designation: ESC ( B
			continue
		}
		i += 2 // another escape: dropped
	}
	if open {
		b.WriteString("</span>")
	}
	b.WriteString("</pre></body></html>\n")
	return b.String()
}

func parseParams(s string) []int {
	if s == "" {
		return nil
	}
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ':' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			n = 0
		}
		out = append(out, n)
	}
	return out
}
