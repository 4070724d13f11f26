package ansihtml

import (
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		notWant  []string
	}{
		{"plain text is escaped", "a <b> & c", []string{"a &lt;b&gt; &amp; c"}, []string{"<b>"}},
		{"basic colours", "\x1b[31mred\x1b[0m plain", []string{`<span style="color:#cd3131">red</span> plain`}, nil},
		{"256 colours and bold", "\x1b[1;38;5;12mx\x1b[m", []string{`color:#3b8eea;font-weight:bold">x</span>`}, nil},
		{"truecolor background", "\x1b[48;2;1;2;3my", []string{`background:#010203">y`}, nil},
		{"reverse swaps with defaults", "\x1b[7mz", []string{`color:#1e1e1e;background:#d4d4d4">z`}, nil},
		{"other escapes dropped", "\x1b[2Jq\x1b(Bw", []string{"<pre>qw</pre>"}, []string{"\x1b"}},
		{"grey ramp", "\x1b[38;5;244mg", []string{"color:#808080"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Convert(tc.in, Options{})
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}
