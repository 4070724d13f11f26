package session

import "testing"

func TestSplitFirst(t *testing.T) {
	cases := []struct{ in, first, rest string }{
		{`["ev"]`, `"ev"`, `[]`},
		{`["ev",1,{"a":[2,3]}]`, `"ev"`, `[1,{"a":[2,3]}]`},
		{` [ "e,v" , "x"]`, `"e,v"`, `[ "x"]`},
		{`[{"k":"]"},true]`, `{"k":"]"}`, `[true]`},
		{`[42,{"_binary":"AAAA"}]`, `42`, `[{"_binary":"AAAA"}]`},
	}
	for _, tc := range cases {
		for _, owned := range []bool{false, true} {
			t.Run(tc.in, func(t *testing.T) {
				in := []byte(tc.in)
				first, rest, ok := splitFirst(in, owned)
				if !ok || string(first) != tc.first || string(rest) != tc.rest {
					t.Fatalf("owned=%v: %q %q %v, want %q %q", owned, first, rest, ok, tc.first, tc.rest)
				}
				if !owned && string(in) != tc.in {
					t.Fatalf("changed the caller's bytes to %q", in)
				}
			})
		}
	}
	for _, bad := range []string{``, `{}`, `[]`, `"x"`} {
		if _, _, ok := splitFirst([]byte(bad), true); ok {
			t.Errorf("%q split", bad)
		}
	}
}
