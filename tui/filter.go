package tui

// Filter syntax for the packet stream (press / in the TUI).
//
// A filter is a list of terms separated by spaces. A packet is shown when
// every term matches it (the terms are ANDed). A term prefixed with - is
// negated. Values of field terms may list alternatives with |.
//
//	event:chat          Socket.IO event name, exact (event:chat|join for either)
//	nsp:/admin          namespace, exact ("/" is the main namespace)
//	dir:c2s             direction: c2s (client to server) or s2c
//	transport:ws        transport: ws, websocket, polling or poll
//	type:EVENT          Socket.IO type (CONNECT, DISCONNECT, EVENT, ACK,
//	                    CONNECT_ERROR, BINARY_EVENT, BINARY_ACK) or Engine.IO
//	                    type (open, close, ping, pong, message, upgrade, noop),
//	                    case-insensitive; also "error" for decode errors
//	sid:abc             session id prefix
//	/hel+o/             Go regular expression searched in the args (and the
//	                    engine data, e.g. "probe")
//	hello               plain text: case-insensitive substring of the args,
//	                    the engine data or the event name
//	"hello world"       plain text containing spaces
//	-type:ACK           negation: hide ACK packets
//
// A word with an unknown field name, such as evnt:chat, is an error rather
// than plain text, so a typo does not silently hide everything; quote it
// ("evnt:chat") to search for the text. Errors name the term and never
// replace the filter in force: the last valid filter keeps applying.
//
// Ping and pong packets are hidden unless toggled with p, whatever the
// filter; the upgrade probes (ping/pong carrying "probe") always show.

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sioproxy/sioproxy/internal/event"
)

// FilterHelp is the filter syntax in a form fit for README.md.
const FilterHelp = "Terms are separated by spaces and all must match; `-term` negates; `a|b` lists alternatives.\n\n" +
	"| Term | Matches |\n|---|---|\n" +
	"| `event:chat` | Socket.IO event name (exact) |\n" +
	"| `nsp:/admin` | namespace (exact) |\n" +
	"| `dir:c2s` / `dir:s2c` | direction |\n" +
	"| `transport:ws` / `transport:polling` | transport |\n" +
	"| `type:EVENT` | Socket.IO type or Engine.IO type (`ping`, `message`, …), case-insensitive; `type:error` for decode errors |\n" +
	"| `sid:abc` | session id prefix |\n" +
	"| `/regex/` | Go regular expression in the args |\n" +
	"| `text`, `\"two words\"` | case-insensitive substring of the args or event name |\n" +
	"| `-type:ACK` | negation |\n"

// maxMatchBytes caps how much of a packet's args a text or regex term
// scans, so one huge payload cannot stall a frame.
const maxMatchBytes = 16 << 10

// Filter is a parsed filter; the zero value matches everything.
type Filter struct {
	terms []term
	src   string
}

type field uint8

const (
	fText field = iota
	fRegex
	fEvent
	fNsp
	fDir
	fTransport
	fType
	fSid
)

type term struct {
	field  field
	neg    bool
	values []string // alternatives; lower-cased for fText and fType
	re     *regexp.Regexp
}

// String is the source text the filter was parsed from.
func (f Filter) String() string { return f.src }

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

var fieldNames = map[string]field{
	"event": fEvent, "nsp": fNsp, "dir": fDir, "transport": fTransport,
	"type": fType, "sid": fSid,
}

var engineTypes = []string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}
var sioTypes = []string{"connect", "disconnect", "event", "ack", "connect_error", "binary_event", "binary_ack"}

// ParseFilter parses the filter syntax described in this file's comment.
// The error names the offending term and its position.
func ParseFilter(s string) (Filter, error) {
	f := Filter{src: s}
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return f, nil
		}
		start := i
		var t term
		if s[i] == '-' && i+1 < len(s) && s[i+1] != ' ' {
			t.neg = true
			i++
		}
		switch s[i] {
		case '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return f, fmt.Errorf("unterminated quote at column %d", i+1)
			}
			t.field = fText
			t.values = []string{strings.ToLower(s[i+1 : i+1+end])}
			i += end + 2
		case '/':
			end := regexEnd(s, i+1)
			if end < 0 {
				return f, fmt.Errorf("unterminated /regex/ at column %d", i+1)
			}
			re, err := regexp.Compile(s[i+1 : end])
			if err != nil {
				return f, fmt.Errorf("bad regex %q at column %d: %v", s[i+1:end], i+1, stripRegexpPrefix(err))
			}
			t.field, t.re = fRegex, re
			i = end + 1
		default:
			end := strings.IndexByte(s[i:], ' ')
			if end < 0 {
				end = len(s) - i
			}
			word := s[i : i+end]
			i += end
			if err := t.parseWord(word); err != nil {
				return f, fmt.Errorf("%q at column %d: %w", s[start:i], start+1, err)
			}
		}
		f.terms = append(f.terms, t)
	}
}

// regexEnd finds the closing slash of a /regex/ term that starts at from:
// an unescaped slash followed by a space or the end.
func regexEnd(s string, from int) int {
	for j := from; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '/':
			if j+1 == len(s) || s[j+1] == ' ' {
				return j
			}
		}
	}
	return -1
}

func stripRegexpPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func (t *term) parseWord(word string) error {
	name, val, ok := strings.Cut(word, ":")
	if !ok || !isFieldName(name) || strings.HasPrefix(val, "//") {
		t.field = fText
		t.values = []string{strings.ToLower(word)}
		return nil
	}
	fl, known := fieldNames[strings.ToLower(name)]
	if !known {
		return fmt.Errorf("unknown field %q (want event, nsp, dir, transport, type or sid; quote text with a colon)", name)
	}
	t.field = fl
	if val == "" {
		return fmt.Errorf("empty value for %s:", name)
	}
	for _, v := range strings.Split(val, "|") {
		if v == "" {
			return fmt.Errorf("empty alternative in %q", val)
		}
		norm, err := normalise(fl, v)
		if err != nil {
			return err
		}
		t.values = append(t.values, norm)
	}
	return nil
}

// isFieldName reports whether name looks like a field name; a URL such as
// http://x is caught by its "//" and stays plain text.
func isFieldName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r < 'a' || r > 'z' {
			if r < 'A' || r > 'Z' {
				return false
			}
		}
	}
	return true
}

func normalise(fl field, v string) (string, error) {
	switch fl {
	case fDir:
		switch strings.ToLower(v) {
		case "c2s", "in", ">":
			return "c2s", nil
		case "s2c", "out", "<":
			return "s2c", nil
		}
		return "", fmt.Errorf("bad direction %q (want c2s or s2c)", v)
	case fTransport:
		switch strings.ToLower(v) {
		case "ws", "websocket":
			return "websocket", nil
		case "polling", "poll":
			return "polling", nil
		}
		return "", fmt.Errorf("bad transport %q (want ws or polling)", v)
	case fType:
		lv := strings.ToLower(v)
		for _, k := range engineTypes {
			if lv == k {
				return lv, nil
			}
		}
		for _, k := range sioTypes {
			if lv == k {
				return lv, nil
			}
		}
		if lv == "error" {
			return lv, nil
		}
		return "", fmt.Errorf("bad type %q (want a Socket.IO type such as EVENT or an Engine.IO type such as ping)", v)
	}
	return v, nil
}

// Match reports whether ev passes every term.
func (f Filter) Match(ev *event.Event) bool {
	for i := range f.terms {
		if f.terms[i].match(ev) == f.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *term) match(ev *event.Event) bool {
	switch t.field {
	case fText:
		args := capBytes(ev.Args)
		for _, v := range t.values {
			if containsFold(args, v) || containsFoldString(ev.Event, v) || containsFoldString(ev.Data, v) || containsFoldString(ev.Error, v) {
				return true
			}
		}
		return false
	case fRegex:
		return t.re.Match(capBytes(ev.Args)) || (ev.Data != "" && t.re.MatchString(ev.Data))
	case fType:
		for _, v := range t.values {
			if strings.EqualFold(ev.Type, v) || strings.EqualFold(ev.Engine, v) || (v == "error" && ev.Kind == event.KindError) {
				return true
			}
		}
		return false
	}
	var got string
	switch t.field {
	case fEvent:
		got = ev.Event
	case fNsp:
		got = ev.Nsp
		if got == "" && ev.Type != "" {
			got = "/"
		}
	case fDir:
		got = ev.Dir
	case fTransport:
		got = ev.Transport
	case fSid:
		for _, v := range t.values {
			if strings.HasPrefix(ev.Sid, v) {
				return true
			}
		}
		return false
	}
	for _, v := range t.values {
		if got == v {
			return true
		}
	}
	return false
}

func capBytes(b []byte) []byte {
	if len(b) > maxMatchBytes {
		return b[:maxMatchBytes]
	}
	return b
}

// containsFold is an allocation-free, ASCII case-insensitive bytes.Contains
// for a needle that is already lower-case; non-ASCII bytes compare exactly.
func containsFold[T string | []byte](hay T, needle string) bool {
	if needle == "" {
		return true
	}
	n := len(needle)
	first := needle[0]
	for i := 0; i+n <= len(hay); i++ {
		if lower(hay[i]) != first {
			continue
		}
		j := 1
		for j < n && lower(hay[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func containsFoldString(hay, needle string) bool { return containsFold(hay, needle) }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
