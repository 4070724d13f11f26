package recordings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// An Ignore path names parts of the args that differ between runs and
// must not count as differences: socket ids in broadcast payloads, ids a
// server generates, timestamps. The syntax is a small JSONPath:
//
//	$[0].user.id   one place: index 0 of the args, then keys
//	$[*].id        any index (or any key with .*)
//	..socketId     the key socketId at any depth
//
// A leading $ is optional.
type ignorePath struct {
	raw   string
	deep  string   // for ..key: the key
	steps []string // for explicit paths: keys, "[n]" indices, "*"
}

// DefaultIgnore is what replay --to ignores unless told otherwise: keys
// that hold session and socket ids or times. Values that look like an
// Engine.IO/Socket.IO id or a timestamp are ignored wherever they are.
var DefaultIgnore = []string{
	"..sid", "..socketId", "..socketID", "..socket_id", "..pid",
	"..ts", "..time", "..timestamp", "..date", "..createdAt", "..updatedAt", "..created_at", "..updated_at",
}

// ParseIgnore checks a path; errors name the path and the problem.
func ParseIgnore(s string) (ignorePath, error) {
	p := ignorePath{raw: s}
	t := strings.TrimPrefix(s, "$")
	if strings.HasPrefix(t, "..") {
		k := t[2:]
		if k == "" || strings.ContainsAny(k, ".[]") {
			return p, fmt.Errorf("--ignore %q: after .. comes one key name, e.g. ..socketId", s)
		}
		p.deep = k
		return p, nil
	}
	for t != "" {
		switch {
		case t[0] == '.':
			t = t[1:]
			end := strings.IndexAny(t, ".[")
			if end < 0 {
				end = len(t)
			}
			if end == 0 {
				return p, fmt.Errorf("--ignore %q: empty key", s)
			}
			p.steps = append(p.steps, t[:end])
			t = t[end:]
		case t[0] == '[':
			end := strings.IndexByte(t, ']')
			if end < 0 {
				return p, fmt.Errorf("--ignore %q: [ without ]", s)
			}
			in := t[1:end]
			if in != "*" {
				if n, err := strconv.Atoi(in); err != nil || n < 0 {
					if q, err := strconv.Unquote(in); err == nil {
						in = q // ["a key"]
					} else {
						return p, fmt.Errorf("--ignore %q: [%s] is not an index, * or a quoted key", s, in)
					}
				} else {
					in = "[" + in + "]"
				}
			}
			p.steps = append(p.steps, in)
			t = t[end+1:]
		default:
			if len(p.steps) == 0 && p.deep == "" {
				t = "." + t // a bare first key
				continue
			}
			return p, fmt.Errorf("--ignore %q: expected . or [ at %q", s, t)
		}
	}
	if len(p.steps) == 0 {
		return p, fmt.Errorf("--ignore %q: names nothing (examples: ..socketId, $[0].user.id)", s)
	}
	return p, nil
}

// ignorer masks what the paths name before two answers are compared.
type ignorer struct {
	paths    []ignorePath
	byValues bool // also mask values that look like ids and timestamps
}

func newIgnorer(paths []string, defaults bool) (*ignorer, error) {
	ig := &ignorer{byValues: defaults}
	all := paths
	if defaults {
		all = append(append([]string(nil), DefaultIgnore...), paths...)
	}
	for _, s := range all {
		p, err := ParseIgnore(s)
		if err != nil {
			return nil, err
		}
		ig.paths = append(ig.paths, p)
	}
	return ig, nil
}

const ignored = "<ignored>"

// mask returns args (compact JSON) with the ignored parts replaced.
func (ig *ignorer) mask(args string) string {
	if ig == nil || (len(ig.paths) == 0 && !ig.byValues) || args == "" {
		return args
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return args
	}
	for _, p := range ig.paths {
		if p.deep != "" {
			v = maskDeep(v, p.deep)
		} else {
			v = maskAt(v, p.steps)
		}
	}
	if ig.byValues {
		v = maskValues(v)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return args
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func maskDeep(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == key {
				x[k] = ignored
			} else {
				x[k] = maskDeep(e, key)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = maskDeep(e, key)
		}
	}
	return v
}

func maskAt(v any, steps []string) any {
	if len(steps) == 0 {
		return ignored
	}
	s, rest := steps[0], steps[1:]
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s == "*" || s == k {
				x[k] = maskAt(e, rest)
			}
		}
	case []any:
		for i, e := range x {
			if s == "*" || s == "["+strconv.Itoa(i)+"]" {
				x[i] = maskAt(e, rest)
			}
		}
	}
	return v
}

var (
	// An Engine.IO sid or Socket.IO socket id: 20 characters of base64url.
	idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	// An RFC 3339 / ISO 8601 time.
	timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$`)
)

// looksLikeID keeps plain words out: a generated id mixes letter cases
// or digits.
func looksLikeID(s string) bool {
	if !idRE.MatchString(s) {
		return false
	}
	var lower, upper, digit bool
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9', c == '-', c == '_':
			digit = true
		}
	}
	return lower && upper || (lower || upper) && digit
}

// epochMs is a number that reads as a time in milliseconds between 2001
// and 2100 (Date.now()).
func epochMs(n json.Number) bool {
	s := n.String()
	if len(s) != 13 {
		return false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return err == nil && v >= 978307200000 && v < 4102444800000
}

func maskValues(v any) any {
	switch x := v.(type) {
	case string:
		if looksLikeID(x) || timeRE.MatchString(x) {
			return ignored
		}
	case json.Number:
		if epochMs(x) {
			return ignored
		}
	case map[string]any:
		for k, e := range x {
			x[k] = maskValues(e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskValues(e)
		}
	}
	return v
}

// all sets what is compared of each shape.
func (ig *ignorer) all(ss []shape) []shape {
	out := make([]shape, len(ss))
	for i, s := range ss {
		s.cmp = ig.mask(s.args)
		out[i] = s
	}
	return out
}
