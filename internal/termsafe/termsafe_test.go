package termsafe

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "/chat", "/chat"},
		{"unicode kept", "héllo ✓ 日本", "héllo ✓ 日本"},
		{"osc title", "/x\x1b]2;PWNED\x07", `/x\x1b]2;PWNED\x07`},
		{"osc 52 and clear", "\x1b]52;c;UFdORUQ=\x07\x1b[2J", `\x1b]52;c;UFdORUQ=\x07\x1b[2J`},
		{"tab newline cr", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul and del", "\x00\x7f", `\x00\x7f`},
		{"c1 csi", "a\u009b2Jb", `a\u009b2Jb`},
		{"c1 nel", "\u0085", `\u0085`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"bidi isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"separators", "\u2028\u2029", `\u2028\u2029`},
		{"invalid utf-8", "a\xff\xfeb", `a\xff\xfeb`},
		{"truncated rune", "\xe2\x80", `\xe2\x80`},
		{"nbsp kept", "\u00a0", "\u00a0"},
		{"zwj kept", "👩\u200d💻", "👩\u200d💻"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := string(AppendString([]byte("p:"), tc.in)); got != "p:"+tc.want {
				t.Errorf("AppendString = %q", got)
			}
			if got := Bytes([]byte(tc.in)); got != tc.want {
				t.Errorf("Bytes = %q", got)
			}
			if IsSafe(tc.in) != (tc.in == tc.want) {
				t.Errorf("IsSafe(%q) = %v", tc.in, IsSafe(tc.in))
			}
		})
	}
}

func TestTextKeepsNewlines(t *testing.T) {
	if got, want := Text("a\nb\x1b[2J\tc"), "a\nb\\x1b[2J\\tc"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestQuoted(t *testing.T) {
	for _, in := range []string{"\x1b]2;x\x07", "\u202e", "\u0085", "\xff", "\u061c\u200e\u2066"} {
		if q := Quoted(in); hasUnsafe(q) {
			t.Errorf("Quoted(%q) = %q still holds an unsafe rune", in, q)
		}
	}
}

func TestJSONStaysJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`["ok",1]`, `["ok",1]`},
		{"[\"a\u202eb\"]", `["a\u202eb"]`},
		{"[\"\u009b2J\"]", `["\u009b2J"]`},
		{"[\n\t\"x\"\r\n]", `[  "x"  ]`},
		{"[\"\xff\"]", `["\ufffd"]`},
		{"[\"\x7f\"]", `["\u007f"]`},
	} {
		got := JSON([]byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("JSON(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var a, b any
		if err := json.Unmarshal(got, &b); err != nil {
			t.Errorf("JSON(%q) = %q is not JSON: %v", tc.in, got, err)
		}
		if json.Unmarshal([]byte(tc.in), &a) == nil {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("JSON(%q) changed the value: %s, want %s", tc.in, jb, ja)
			}
		}
	}
}

func TestSafeInputDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("a normal event name ✓ ", 10)
	buf := make([]byte, 0, 1024)
	raw := []byte(`["hello",{"n":1}]`)
	if n := testing.AllocsPerRun(100, func() {
		_ = String(s)
		_ = Text(s)
		buf = AppendString(buf[:0], s)
		_ = JSON(raw)
	}); n != 0 {
		t.Errorf("%v allocations for safe input, want 0", n)
	}
}

// hasUnsafe reports whether s holds a raw rune or byte a terminal would
// interpret.
func hasUnsafe(s string) bool {
	for i, r := range s {
		if Unsafe(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) {
			return true
		}
	}
	return false
}

// unescape reverses String for input without backslashes.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case 't':
			b.WriteByte('\t')
			i += 2
		case 'n':
			b.WriteByte('\n')
			i += 2
		case 'r':
			b.WriteByte('\r')
			i += 2
		case 'x':
			if i+4 > len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(v))
			i += 4
		case 'u':
			if i+6 > len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(v))
			i += 6
		default:
			return "", false
		}
	}
	return b.String(), true
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "/chat", "/x\x1b]2;PWNED\x07\x1b]52;c;UFdORUQ=\x07\x1b[2J", "\u202e\u2066\u0085", "\xff\xfe", "a\tb\nc", `["a","\u001b"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := String(in)
		if hasUnsafe(out) || strings.ContainsAny(out, "\n\t\r") {
			t.Fatalf("String(%q) = %q holds an unsafe rune", in, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not UTF-8", in, out)
		}
		if IsSafe(in) != (out == in) {
			t.Fatalf("IsSafe(%q) = %v but String changed it to %q", in, IsSafe(in), out)
		}
		if !strings.Contains(in, `\`) {
			back, ok := unescape(out)
			if !ok || back != in {
				t.Fatalf("String(%q) = %q does not unescape back (%q, %v)", in, out, back, ok)
			}
		}
		txt := Text(in)
		if hasUnsafe(strings.ReplaceAll(txt, "\n", "")) || strings.Count(txt, "\n") != strings.Count(in, "\n") {
			t.Fatalf("Text(%q) = %q", in, txt)
		}
		if q := Quoted(in); hasUnsafe(q) {
			t.Fatalf("Quoted(%q) = %q", in, q)
		}
		j := JSON([]byte(in))
		if hasUnsafe(string(j)) {
			t.Fatalf("JSON(%q) = %q holds an unsafe rune", in, j)
		}
		if json.Valid([]byte(in)) && !json.Valid(j) {
			t.Fatalf("JSON(%q) = %q is no longer valid JSON", in, j)
		}
	})
}
