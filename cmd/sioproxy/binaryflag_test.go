package main

import (
	"strings"
	"testing"
)

// --binary chooses how attachments print in --json and --no-tui; the
// default is the summary a jq user wants.
func TestBinaryFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
		not  string
	}{
		{[]string{"--json"}, `"args":[{"_binary":{"size":4,"sha256":"3a6eb0790f39ac87","head":"64617461"}}]`, `"_binary":"`},
		{[]string{"--json", "--binary", "summary"}, `{"_binary":{"size":3,"sha256":"039058c6f2c0cb49","head":"010203"}}`, `"_binary":"`},
		{[]string{"--json", "--binary", "full"}, `"args":[{"_binary":"ZGF0YQ=="}]`, `"sha256"`},
		{[]string{"--json", "--binary", "none"}, `"args":[{"_binary":{"size":4}}]`, `"sha256"`},
		{[]string{"--no-tui", "--binary", "none"}, `BINARY_EVENT /admin "upload" [{"_binary":{"size":4}}] id=1 +1 bin`, `"_binary":"`},
		{[]string{"--no-tui", "--binary=full"}, `[{"_binary":"ZGF0YQ=="}]`, `"sha256"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, stderr := runCmd(t, append([]string{"replay", goldenRec}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			all := strings.Join(out, "\n")
			if !strings.Contains(all, tc.want) {
				t.Fatalf("output lacks %s:\n%.3000s", tc.want, all)
			}
			if strings.Contains(all, tc.not) {
				t.Fatalf("output has %s", tc.not)
			}
		})
	}
	code, _, stderr := runCmd(t, "--binary", "hex")
	if code != 2 || !strings.Contains(stderr, `invalid value "hex" for flag --binary: want full, summary or none`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
