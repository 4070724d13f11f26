package ansihtml

import (
	"strings"
	"testing"
)

// FuzzConvert: any terminal output converts without panicking, and no
// escape byte or unescaped markup from the input reaches the page.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[1;31mred\x1b[0m", "\x1b[38;5;300m", "\x1b[48;2;1;2m", "\x1b[", "\x1b(", "<script>&", "\x1b[7m\x1b[27m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Convert(in, Options{})
		if strings.Contains(out, "\x1b") {
			t.Fatalf("escape byte in the page for %q", in)
		}
		body := out[strings.Index(out, "<pre>")+5 : strings.LastIndex(out, "</pre>")]
		if strings.Contains(body, "<script") || strings.Count(body, "<span") != strings.Count(body, "</span>") {
			t.Fatalf("markup leaked or spans unbalanced for %q: %q", in, body)
		}
	})
}
