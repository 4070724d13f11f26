package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

type eventIs string

func (e eventIs) Match(ev *event.Event) bool { return ev.Event == string(e) }

func parseFilter(s string) (Matcher, error) {
	name, ok := strings.CutPrefix(s, "event:")
	if !ok {
		return nil, fmt.Errorf("unknown term %q", s)
	}
	return eventIs(name), nil
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"rules":[{"match":"event:a"}]}`, `rule 1 (rule 1): no action`},
		{`[{"drop":true}]`, `no match`},
		{`[{"match":"bogus","drop":true}]`, `match "bogus": unknown term`},
		{`[{"match":"event:a","set":{"x":1}}]`, `must start with an argument index`},
		{`[{"match":"event:a","replace":{"a":1}}]`, `want a JSON list`},
		{`[{"match":"event:a","inject":{"as":"nobody","event":"x"}}]`, `inject as "nobody"`},
		{`[{"match":"event:a","drop":true,"dorp":1}]`, `unknown field "dorp"`},
		{`[{"name":"n","every_s":3,"drop":true,"match":"event:a"}]`, `rule 1 (n): every_s 3: only with inject`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), parseFilter)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.want)
		}
	}
	s, err := Parse([]byte(`[{"match":"event:a","drop":true},{"inject":{"as":"server","event":"hi"},"every_s":1}]`), parseFilter)
	if err != nil || s.Len() != 2 {
		t.Fatalf("%v %v", s, err)
	}
}

func TestSetPath(t *testing.T) {
	tests := []struct{ path, in, val, want string }{
		{"[0]", `["a","b"]`, `"x"`, `["x","b"]`},
		{"[1].user.name", `["a",{"user":{"name":"b","id":1}}]`, `"c"`, `["a",{"user":{"id":1,"name":"c"}}]`},
		{"args[0][1]", `[[1,2,3]]`, `9`, `[[1,9,3]]`},
		{"0.new", `[{}]`, `true`, `[{"new":true}]`},
		{"[2]", `[1,2]`, `3`, `[1,2,3]`},
	}
	for _, tc := range tests {
		p, err := parsePath(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		var v, val any
		unmarshalNumber([]byte(tc.in), &v)
		unmarshalNumber([]byte(tc.val), &val)
		out, err := setPath(v, p, val)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		b, _ := json.Marshal(out)
		if string(b) != tc.want {
			t.Errorf("%s on %s = %s, want %s", tc.path, tc.in, b, tc.want)
		}
	}
	p, _ := parsePath("[5]")
	var v any = []any{1}
	if _, err := setPath(v, p, 1); err == nil {
		t.Fatal("index past the end accepted")
	}
}

func TestYAML(t *testing.T) {
	y := `
- name: mock
  match: event:getUser
  respond: [{id: 1}]
- match: event:chat
  set:
    "[0].text": edited
`
	s, err := ParseFile("r.yaml", []byte(y), parseFilter)
	if err != nil || s.Len() != 2 || s.rules[0].Name != "mock" || string(s.rules[0].Respond) != `[{"id":1}]` {
		t.Fatalf("%v %v", s, err)
	}
	if _, err := ParseFile("r.yml", []byte("- match: event:a\n  dorp: true\n"), parseFilter); err == nil || !strings.Contains(err.Error(), `unknown field "dorp"`) {
		t.Fatalf("bad YAML rule: %v", err)
	}
	if _, err := ParseFile("r.yaml", []byte("- [unclosed"), parseFilter); err == nil {
		t.Fatal("broken YAML accepted")
	}
}
