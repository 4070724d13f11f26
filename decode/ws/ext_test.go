package ws

import (
	"strings"
	"testing"
)

func TestParseExtensions(t *testing.T) {
	def := Extensions{Deflate: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	with := func(f func(*Extensions)) Extensions { e := def; f(&e); return e }
	for _, tc := range []struct {
		name, in string
		want     Extensions
		err      string
	}{
		{"empty", "", Extensions{}, ""},
		{"plain", "permessage-deflate", def, ""},
		{"ws server reply", "permessage-deflate; client_max_window_bits=15",
			def, ""},
		{"both no takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			with(func(e *Extensions) { e.ServerNoContextTakeover, e.ClientNoContextTakeover = true, true }), ""},
		{"window bits", "permessage-deflate;server_max_window_bits=10;client_max_window_bits=\"9\"",
			with(func(e *Extensions) { e.ServerMaxWindowBits, e.ClientMaxWindowBits = 10, 9 }), ""},
		{"client bits without value", "permessage-deflate; client_max_window_bits", def, ""},
		{"case and spacing", "  PerMessage-Deflate ;\tSERVER_NO_CONTEXT_TAKEOVER  ",
			with(func(e *Extensions) { e.ServerNoContextTakeover = true }), ""},
		{"unknown extension ignored", "x-webkit-deflate-frame; no_context_takeover, permessage-deflate",
			def, ""},
		{"unknown only", "foo; bar=\"baz, qux\"", Extensions{}, ""},
		{"empty list elements", ", ,permessage-deflate,", def, ""},

		{"twice", "permessage-deflate, permessage-deflate", def, "permessage-deflate accepted twice (offset 20)"},
		{"unknown param", "permessage-deflate; foo", def, `unknown permessage-deflate parameter "foo" (offset 20)`},
		{"repeated param", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
			with(func(e *Extensions) { e.ServerNoContextTakeover = true }), `parameter "server_no_context_takeover" repeated`},
		{"value on flag", "permessage-deflate; client_no_context_takeover=1", def, `takes no value, got "1"`},
		{"bits too small", "permessage-deflate; server_max_window_bits=7", def, `server_max_window_bits="7" is not 8..15`},
		{"bits too large", "permessage-deflate; client_max_window_bits=16", def, `client_max_window_bits="16" is not 8..15`},
		{"bits leading zero", "permessage-deflate; client_max_window_bits=09", def, `is not 8..15`},
		{"server bits need value", "permessage-deflate; server_max_window_bits", def, `server_max_window_bits="" is not 8..15`},
		{"missing param name", "permessage-deflate; =1", def, "missing parameter name before '='"},
		{"junk after name", "permessage-deflate x", def, `unexpected 'x' after "permessage-deflate"`},
		{"unterminated quote", `permessage-deflate; client_max_window_bits="15`, def, "unterminated quoted string (offset 43)"},
		{"missing value", "permessage-deflate; client_max_window_bits=", def, "missing parameter value at end"},
		{"malformed unknown", "foo;;", Extensions{}, "missing parameter name before ';'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseExtensions(tc.in)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
