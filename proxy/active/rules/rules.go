// Package rules is the --rules FILE front end of the active layer: a JSON
// (or YAML, for a .yaml or .yml file) list of rules, each matching packets with the TUI's filter syntax and
// acting on them (drop, delay, set, replace, respond, inject). The file is
// reloaded when it changes; a file that does not parse keeps the rules in
// force and the error is reported.
//
// File format (a list, or an object with a "rules" list):
//
//	[
//	  {"name": "no-spam", "match": "event:spam dir:c2s", "drop": true},
//	  {"match": "event:chat dir:c2s", "set": {"[0].text": "edited"}},
//	  {"match": "event:chat", "delay_ms": 500},
//	  {"match": "event:price dir:s2c", "replace": [{"usd": 0}]},
//	  {"name": "mock", "match": "event:getUser dir:c2s", "respond": [{"id": 1}]},
//	  {"match": "event:join dir:c2s", "inject": {"as": "server", "event": "welcome", "args": ["hi"]}},
//	  {"inject": {"as": "server", "event": "tick"}, "every_s": 5},
//	  {"fault": "drop-pongs"}
//	]
//
// A "fault" entry is an --inject rule (issue 14), written as on the command
// line; it joins the --inject rules (and the UI's "!" menu) and goes when
// a reload no longer names it. In the object form, "faults" lists them too:
//
//	{"faults": ["no-upgrade", "cut-ws=60s:close"], "rules": [...]}
//
// "set" paths index the arguments after the event name ("[0]" is the first
// argument; "[0].user.name", "[1][2]"). "replace" and "respond" give the
// whole argument list. An inject without "match" goes once to every new
// session, or every N seconds with "every_s".
package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sioproxy/sioproxy/decode"
	"github.com/sioproxy/sioproxy/decode/sio"
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

// Matcher is a parsed filter (tui.Filter satisfies it).
type Matcher interface {
	Match(*event.Event) bool
}

// ParseFilter parses the filter syntax; the wiring passes tui.ParseFilter.
type ParseFilter func(string) (Matcher, error)

// Rule is one entry of the file.
type Rule struct {
	Name    string                     `json:"name,omitempty"`
	Match   string                     `json:"match,omitempty"`
	Drop    bool                       `json:"drop,omitempty"`
	DelayMs int                        `json:"delay_ms,omitempty"`
	Set     map[string]json.RawMessage `json:"set,omitempty"`
	Replace json.RawMessage            `json:"replace,omitempty"`
	Respond json.RawMessage            `json:"respond,omitempty"`
	Inject  *Inject                    `json:"inject,omitempty"`
	EveryS  float64                    `json:"every_s,omitempty"`
	// Fault is an --inject rule ("drop-pongs=50%"); it stands alone.
	Fault string `json:"fault,omitempty"`
}

// Inject is the message a rule sends.
type Inject struct {
	As    string            `json:"as"` // "client" or "server"
	Nsp   string            `json:"nsp,omitempty"`
	Event string            `json:"event"`
	Args  []json.RawMessage `json:"args,omitempty"`
	Ack   bool              `json:"ack,omitempty"`
}

type compiled struct {
	Rule
	m     Matcher
	as    decode.Dir
	set   []setOp
	seen  sync.Map // *active.Conn → struct{}: session-start injects done
	delay time.Duration
}

type setOp struct {
	path []pathStep
	val  any
}

// Set is a parsed rules file: an active.MessageHook.
type Set struct {
	rules  []*compiled
	faults []inject.Rule
}

// Faults returns the file's --inject rules.
func (s *Set) Faults() []inject.Rule { return s.faults }

// Name is what packets show when no rule name applies.
func (s *Set) Name() string { return "rules" }

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Parse reads a rules file. Errors name the rule (1-based) and the field.
func Parse(data []byte, parse ParseFilter) (*Set, error) {
	data = bytes.TrimSpace(data)
	var list []Rule
	dec := func(b []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	s := &Set{}
	if len(data) > 0 && data[0] == '{' {
		var obj struct {
			Rules  []Rule   `json:"rules"`
			Faults []string `json:"faults"`
		}
		if err := dec(data, &obj); err != nil {
			return nil, fmt.Errorf("rules: %v", err)
		}
		list = obj.Rules
		for i, f := range obj.Faults {
			r, err := parseFault(f)
			if err != nil {
				return nil, fmt.Errorf("faults[%d]: %v", i, err)
			}
			s.faults = append(s.faults, r)
		}
	} else if err := dec(data, &list); err != nil {
		return nil, fmt.Errorf("rules: want a JSON list of rules: %v", err)
	}
	for i, r := range list {
		if r.Fault != "" {
			f, err := compileFault(r, i)
			if err != nil {
				return nil, err
			}
			s.faults = append(s.faults, f)
			continue
		}
		c, err := compile(r, i, parse)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %v", i+1, c.Name, err)
		}
		s.rules = append(s.rules, c)
	}
	return s, nil
}

// compileFault reads a {"fault": RULE} entry, which takes no other field
// than a name.
func compileFault(r Rule, i int) (inject.Rule, error) {
	name := r.Name
	if name == "" {
		name = "rule " + strconv.Itoa(i+1)
	}
	f, err := parseFault(r.Fault)
	if err == nil {
		r.Name, r.Fault = "", ""
		if !reflect.ValueOf(r).IsZero() {
			err = fmt.Errorf("fault %q: a fault entry takes no match or action, only a name", f.Text)
		}
	}
	if err != nil {
		return f, fmt.Errorf("rule %d (%s): %v", i+1, name, err)
	}
	return f, nil
}

// parseFault parses an --inject rule, naming it as the file wrote it.
func parseFault(s string) (inject.Rule, error) {
	r, err := inject.Parse(s)
	var pe *inject.ParseError
	if errors.As(err, &pe) {
		return r, fmt.Errorf("fault %q: %s", s, pe.Reason)
	}
	return r, err
}

func compile(r Rule, i int, parse ParseFilter) (*compiled, error) {
	if r.Name == "" {
		r.Name = "rule " + strconv.Itoa(i+1)
	}
	c := &compiled{Rule: r, delay: time.Duration(r.DelayMs) * time.Millisecond}
	acts := 0
	for _, on := range []bool{r.Drop, r.DelayMs > 0, len(r.Set) > 0, r.Replace != nil, r.Respond != nil, r.Inject != nil} {
		if on {
			acts++
		}
	}
	if acts == 0 {
		return c, errors.New("no action (want drop, delay_ms, set, replace, respond, inject or fault)")
	}
	if r.DelayMs < 0 {
		return c, fmt.Errorf("delay_ms %d: must be positive", r.DelayMs)
	}
	if r.Match != "" {
		m, err := parse(r.Match)
		if err != nil {
			return c, fmt.Errorf("match %q: %v", r.Match, err)
		}
		c.m = m
	} else if r.Inject == nil {
		return c, errors.New("no match (only an inject may go without one)")
	}
	for _, raw := range []*json.RawMessage{&c.Replace, &c.Respond} {
		if *raw != nil && (!json.Valid(*raw) || bytes.TrimSpace(*raw)[0] != '[') {
			return c, fmt.Errorf("replace/respond %s: want a JSON list of arguments", *raw)
		}
		*raw = compact(*raw) // sent as written, without the file's layout
	}
	for p, v := range r.Set {
		steps, err := parsePath(p)
		if err != nil {
			return c, fmt.Errorf("set %q: %v", p, err)
		}
		var val any
		if err := unmarshalNumber(v, &val); err != nil {
			return c, fmt.Errorf("set %q: value %s is not JSON", p, v)
		}
		c.set = append(c.set, setOp{steps, val})
	}
	if in := r.Inject; in != nil {
		switch in.As {
		case "client":
			c.as = decode.C2S
		case "server":
			c.as = decode.S2C
		default:
			return c, fmt.Errorf("inject as %q: want \"client\" or \"server\"", in.As)
		}
		if in.Event == "" {
			return c, errors.New("inject without an event name")
		}
		args := make([]json.RawMessage, len(in.Args))
		for j, a := range in.Args {
			if !json.Valid(a) {
				return c, fmt.Errorf("inject argument %d is not JSON", j+1)
			}
			args[j] = compact(a)
		}
		inj := *in
		inj.Args = args
		c.Inject = &inj
	}
	if r.EveryS < 0 || r.EveryS > 0 && r.Inject == nil {
		return c, fmt.Errorf("every_s %v: only with inject, and positive", r.EveryS)
	}
	return c, nil
}

// OnMessage applies the first rules that match, in file order; a drop or a
// respond ends the list for that message.
func (s *Set) OnMessage(c *active.Conn, m *active.Message) {
	var ev *event.Event
	for _, r := range s.rules {
		if r.m == nil {
			if r.Inject != nil && r.EveryS == 0 {
				if _, done := r.seen.LoadOrStore(c, struct{}{}); !done && c.Sid() != "" {
					r.inject(c)
				}
			}
			continue
		}
		if ev == nil {
			ev = m.Event()
		}
		if !r.m.Match(ev) {
			continue
		}
		if r.apply(c, m) {
			return
		}
		if m.SIO != nil {
			ev = m.Event() // later rules see what earlier ones made
		}
	}
}

// apply runs one matching rule; it reports whether the message is gone.
func (r *compiled) apply(c *active.Conn, m *active.Message) bool {
	if r.Drop {
		m.Drop(r.Name)
		return true
	}
	if r.Respond != nil {
		if m.SIO != nil && m.SIO.HasID && (m.SIO.Type == sio.Event || m.SIO.Type == sio.BinaryEvent) {
			var args []json.RawMessage
			json.Unmarshal(r.Respond, &args)
			c.Ack(m.Dir, m.SIO.Nsp, m.SIO.ID, args, r.Name)
		}
		m.Drop(r.Name)
		return true
	}
	if r.Replace != nil || len(r.set) > 0 {
		if err := r.edit(m); err != nil {
			m.Delay(0, r.Name+" (failed: "+err.Error()+")")
		}
	}
	if r.delay > 0 {
		m.Delay(r.delay, r.Name)
	}
	if r.Inject != nil && r.EveryS == 0 {
		r.inject(c)
	}
	return false
}

func (r *compiled) inject(c *active.Conn) {
	in := r.Inject
	c.Inject(active.Injection{As: r.as, Nsp: in.Nsp, Event: in.Event, Args: in.Args, Ack: in.Ack, Rule: r.Name})
}

// edit rewrites the arguments of an EVENT or ACK.
func (r *compiled) edit(m *active.Message) error {
	p := m.SIO
	if p == nil || p.Data == nil {
		return errors.New("not a Socket.IO packet with arguments")
	}
	var all []any
	if err := unmarshalNumber(p.Data, &all); err != nil {
		return err
	}
	head, args := all[:0], all
	if p.Type == sio.Event || p.Type == sio.BinaryEvent {
		if len(all) == 0 {
			return errors.New("EVENT without a name")
		}
		head, args = all[:1], all[1:]
	}
	if r.Replace != nil {
		var repl []any
		unmarshalNumber(r.Replace, &repl)
		args = repl
	}
	for _, op := range r.set {
		var v any = args
		v, err := setPath(v, op.path, op.val)
		if err != nil {
			return err
		}
		args = v.([]any)
	}
	out := append(append([]any{}, head...), args...)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	return m.SetArgs(bytes.TrimSpace(buf.Bytes()), r.Name)
}

func compact(b json.RawMessage) json.RawMessage {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	return out.Bytes()
}

func unmarshalNumber(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// pathStep is a key or an index.
type pathStep struct {
	key   string
	index int // -1 for a key
}

// parsePath reads "[0].user.name", "args[1][2]", "0.text".
func parsePath(p string) ([]pathStep, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(p, "$"), "args")
	var out []pathStep
	for i := 0; i < len(s); {
		switch s[i] {
		case '.':
			i++
			continue
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("index %q is not a number", s[i+1:i+end])
			}
			out = append(out, pathStep{index: n})
			i += end + 1
		default:
			end := strings.IndexAny(s[i:], ".[")
			if end < 0 {
				end = len(s) - i
			}
			w := s[i : i+end]
			if n, err := strconv.Atoi(w); err == nil && n >= 0 && len(out) == 0 {
				out = append(out, pathStep{index: n})
			} else {
				out = append(out, pathStep{key: w, index: -1})
			}
			i += end
		}
	}
	if len(out) == 0 || out[0].index < 0 {
		return nil, errors.New("must start with an argument index, e.g. [0]")
	}
	return out, nil
}

// setPath sets val at path inside v, creating objects for missing keys.
func setPath(v any, path []pathStep, val any) (any, error) {
	if len(path) == 0 {
		return val, nil
	}
	st := path[0]
	if st.index >= 0 {
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("[%d]: not a list", st.index)
		}
		if st.index > len(arr) {
			return nil, fmt.Errorf("[%d]: the list has %d items", st.index, len(arr))
		}
		if st.index == len(arr) {
			arr = append(arr, nil)
		}
		nv, err := setPath(arr[st.index], path[1:], val)
		if err != nil {
			return nil, err
		}
		arr[st.index] = nv
		return arr, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			return nil, fmt.Errorf(".%s: not an object", st.key)
		}
		obj = map[string]any{}
	}
	nv, err := setPath(obj[st.key], path[1:], val)
	if err != nil {
		return nil, err
	}
	obj[st.key] = nv
	return obj, nil
}
