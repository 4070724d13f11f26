package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// runOut runs the command with stdout in a file and returns exit code,
// stdout and stderr.
func runOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr syncBuffer
	code := run(context.Background(), args, f, &stderr)
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(out), stderr.String()
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runOut(t, args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.HasPrefix(out, "sioproxy ") || !strings.Contains(out, "go:       "+goruntime.Version()+"\n") || !strings.Contains(out, "revision: ") {
				t.Fatalf("version output %q", out)
			}
		})
	}
}

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := "sioproxy v1.2.3\nrevision: 0123abcd (2026-01-02T03:04:05Z, modified)\ngo:       go1.99\n"
	if got := versionText(bi, true); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := versionText(nil, false); !strings.Contains(got, "no build information") {
		t.Fatalf("got %q", got)
	}
}

// help [command], and --help on every command, print the usage and exit 0.
func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "usage: sioproxy [flags]"},
		{[]string{"--help"}, "usage: sioproxy [flags]"},
		{[]string{"help", "replay"}, "usage: sioproxy replay FILE"},
		{[]string{"help", "ca"}, "usage: sioproxy ca"},
		{[]string{"help", "export"}, "usage: sioproxy export"},
		{[]string{"help", "demo"}, "usage: sioproxy demo"},
		{[]string{"help", "completion"}, "usage: sioproxy completion"},
		{[]string{"ca", "--help"}, "usage: sioproxy ca"},
		{[]string{"ca", "-h"}, "usage: sioproxy ca"},
		{[]string{"replay", "--help"}, "usage: sioproxy replay"},
		{[]string{"export", "--help"}, "usage: sioproxy export"},
		{[]string{"demo", "--help"}, "usage: sioproxy demo"},
		{[]string{"completion", "--help"}, "usage: sioproxy completion"},
		{[]string{"version", "--help"}, "usage: sioproxy version"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runOut(t, tc.args...)
			if code != 0 || !strings.HasPrefix(out, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

func TestHelpUnknownCommand(t *testing.T) {
	code, _, errOut := runOut(t, "help", "nope")
	if code != 2 || !strings.Contains(errOut, `help: unknown command "nope"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runOut(t, "completion", "tcsh")
	if code != 2 || !strings.Contains(errOut, `completion: shell "tcsh": want bash, zsh or fish`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// Every flag completion offers is one the command accepts: completion
// reads them from the usage texts, so this also keeps those honest.
func TestCompletionFlagsAreAccepted(t *testing.T) {
	for _, f := range usageFlags(usageText) {
		if f.name == "version" {
			continue
		}
		args := []string{"--" + f.name}
		if f.value {
			args = append(args, "x")
		}
		if _, err := parseFlags(args); err != nil && strings.Contains(err.Error(), "not defined") {
			t.Errorf("sioproxy completes --%s but rejects it: %v", f.name, err)
		}
	}
	for _, f := range usageFlags(replayUsage) {
		args := []string{"rec.jsonl", "--" + f.name}
		if f.value {
			args = append(args, "1")
		}
		if _, err := parseReplayFlags(args); err != nil && strings.Contains(err.Error(), "not defined") {
			t.Errorf("sioproxy replay completes --%s but rejects it: %v", f.name, err)
		}
	}
	if len(usageFlags(usageText)) < 15 || len(usageFlags(replayUsage)) < 8 {
		t.Fatalf("too few flags found: %v / %v", usageFlags(usageText), usageFlags(replayUsage))
	}
}

// The bash script completes subcommands, flags per subcommand and shells,
// run in a real bash.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	if err := os.WriteFile(script, []byte(bashCompletion()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words string
		want  []string
		not   string
	}{
		{"sioproxy re", []string{"replay"}, "demo"},
		{"sioproxy --ta", []string{"--target"}, ""},
		{"sioproxy replay --sp", []string{"--speed"}, "--target"},
		{"sioproxy replay x.jsonl --t", []string{"--to", "--transport"}, "--target"},
		{"sioproxy completion ", []string{"bash", "fish", "zsh"}, ""},
		{"sioproxy help ex", []string{"export"}, ""},
		{"sioproxy ca --", []string{"--ca-dir", "--help"}, "--target"},
	}
	for _, tc := range tests {
		t.Run(tc.words, func(t *testing.T) {
			words := strings.Fields(tc.words)
			if strings.HasSuffix(tc.words, " ") {
				words = append(words, "")
			}
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = "'" + w + "'"
			}
			prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
				itoa(len(words)-1) + "; _sioproxy; printf '%s\\n' \"${COMPREPLY[@]}\""
			out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v: %s", err, out)
			}
			got := strings.Fields(string(out))
			for _, w := range tc.want {
				if !contains(got, w) {
					t.Fatalf("completion of %q: %v, want %s among them", tc.words, got, w)
				}
			}
			if tc.not != "" && contains(got, tc.not) {
				t.Fatalf("completion of %q offers %s: %v", tc.words, tc.not, got)
			}
		})
	}
}

// zsh and fish scripts are checked for syntax where the shell exists, and
// name every subcommand in any case.
func TestCompletionZshFish(t *testing.T) {
	for shell, text := range map[string]string{"zsh": zshCompletion(), "fish": fishCompletion()} {
		t.Run(shell, func(t *testing.T) {
			for _, c := range subcommands {
				if !strings.Contains(text, c) {
					t.Fatalf("%s script lacks %s", shell, c)
				}
			}
			if !strings.Contains(text, "--speed") && !strings.Contains(text, "-l speed") {
				t.Fatalf("%s script lacks replay's --speed:\n%s", shell, text)
			}
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Logf("%s not installed: syntax not checked", shell)
				return
			}
			f := filepath.Join(t.TempDir(), "c."+shell)
			os.WriteFile(f, []byte(text), 0o600)
			if out, err := exec.Command(bin, "-n", f).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v: %s", shell, err, out)
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// Every usage text fits an 80-column terminal.
func TestUsageFits80Columns(t *testing.T) {
	for _, c := range append([]string{""}, subcommands...) {
		u, ok := commandUsage(c)
		if !ok {
			t.Fatalf("no usage for %q", c)
		}
		for _, l := range strings.Split(u, "\n") {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("sioproxy %s usage: a line of %d characters: %s", c, n, l)
			}
		}
	}
}
