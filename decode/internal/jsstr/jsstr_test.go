package jsstr

import (
	"testing"
	"unicode/utf8"
)

func TestAppendEscape(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		next int
		ok   bool
	}{
		{"quote", `\"x`, `"`, 2, true},
		{"solidus", `\/`, `/`, 2, true},
		{"newline", `\n`, "\n", 2, true},
		{"bmp", `\u00e9`, "é", 6, true},
		{"surrogate pair", `\ud83d\ude00!`, "😀", 12, true},
		{"lone high", `\ud83dx`, "\uFFFD", 6, true},
		{"high then non-low", `\ud83d\u0041`, "\uFFFD", 6, true},
		{"lone low", `\ude00`, "\uFFFD", 6, true},
		{"cut short", `\`, "", 0, false},
		{"short u", `\u12`, "", 0, false},
		{"bad hex", `\u12g4`, "", 0, false},
		{"unknown letter", `\q`, "", 0, false},
		{"not a backslash", `ab`, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, ok := AppendEscape([]byte("<"), []byte(tc.in), 0)
			if ok != tc.ok || next != tc.next || string(got) != "<"+tc.want {
				t.Fatalf("AppendEscape(%q) = %q, %d, %v; want %q, %d, %v", tc.in, got, next, ok, "<"+tc.want, tc.next, tc.ok)
			}
		})
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		c    byte
		want string
	}{
		{'"', `\"`}, {'\\', `\\`}, {'\b', `\b`}, {'\f', `\f`}, {'\n', `\n`},
		{'\r', `\r`}, {'\t', `\t`}, {0, `\u0000`}, {0x1e, `\u001e`}, {0x1f, `\u001f`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if !NeedsEscape(tc.c) {
				t.Fatalf("NeedsEscape(%#x) = false", tc.c)
			}
			got := AppendEscaped(nil, tc.c)
			if string(got) != tc.want {
				t.Fatalf("AppendEscaped(%#x) = %s, want %s", tc.c, got, tc.want)
			}
			back, next, ok := AppendEscape(nil, got, 0)
			if !ok || next != len(got) || len(back) != 1 || back[0] != tc.c {
				t.Fatalf("AppendEscape(%s) = %q, %d, %v", got, back, next, ok)
			}
		})
	}
	for _, c := range []byte{' ', '/', 'a', 0x7f, 0x80, 0xff} {
		if NeedsEscape(c) {
			t.Errorf("NeedsEscape(%#x) = true", c)
		}
	}
}

// FuzzAppendEscape checks that any input either fails cleanly or moves
// forward and yields valid UTF-8.
func FuzzAppendEscape(f *testing.F) {
	for _, s := range []string{`\n`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\u12`, `\x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, next, ok := AppendEscape(nil, b, 0)
		if !ok {
			if next != 0 || len(out) != 0 {
				t.Fatalf("failed AppendEscape(%q) moved: %q, %d", b, out, next)
			}
			return
		}
		if next <= 0 || next > len(b) || !utf8.Valid(out) {
			t.Fatalf("AppendEscape(%q) = %q, %d", b, out, next)
		}
	})
}
