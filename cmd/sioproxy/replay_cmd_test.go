package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/sioclient"
)

var update = flag.Bool("update", false, "rewrite testdata/replay.jsonl and the golden files")

const goldenRec = "testdata/replay.jsonl"

var clockRE = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d\d\d`)

// The headless output of a committed recording is pinned: a change in
// decoding or diagnosis shows up here as a diff to review.
func TestReplayGolden(t *testing.T) {
	if *update {
		rec, _ := liveRun(t, testApp(t, false), sioclient.PollingThenUpgrade, sioclient.WebSocketOnly)
		b, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(goldenRec, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, golden string }{
		{"json", "testdata/replay.json.golden"},
		{"text", "testdata/replay.text.golden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"replay", goldenRec, "--no-tui"}
			if tc.name == "json" {
				args = append(args, "--json")
			}
			code, out, stderr := runCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tc.name == "text" {
				// Text lines start with the local time of day, which depends
				// on the zone the test runs in.
				for i, l := range out {
					out[i] = clockRE.ReplaceAllString(l, "HH:MM:SS.mmm")
				}
			}
			got := strings.Join(out, "\n") + "\n"
			if *update {
				if err := os.WriteFile(tc.golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			diffLines(t, strings.Split(string(want), "\n"), strings.Split(got, "\n"))
		})
	}
}

func TestReplayFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c replayConfig)
	}{
		{"defaults", []string{"r.jsonl"}, "", func(t *testing.T, c replayConfig) {
			if c.File != "r.jsonl" || c.SpeedSet || c.To != "" || c.NoTUI {
				t.Fatalf("%+v", c)
			}
		}},
		{"flags after file", []string{"r.jsonl", "--speed", "2.5", "--json"}, "", func(t *testing.T, c replayConfig) {
			if c.Speed != 2.5 || !c.SpeedSet || !c.JSON || !c.NoTUI {
				t.Fatalf("%+v", c)
			}
		}},
		{"flags before file", []string{"--fast", "--no-tui", "r.jsonl"}, "", func(t *testing.T, c replayConfig) {
			if c.Speed != 0 || !c.SpeedSet || !c.NoTUI || c.File != "r.jsonl" {
				t.Fatalf("%+v", c)
			}
		}},
		{"to", []string{"r.jsonl", "--to", "127.0.0.1:3000", "--sid", "abc", "--transport", "websocket"}, "", func(t *testing.T, c replayConfig) {
			if c.To != "http://127.0.0.1:3000" || c.Sid != "abc" || c.Transport != "websocket" {
				t.Fatalf("%+v", c)
			}
		}},
		{"no file", []string{"--fast"}, "replay: no recording given", nil},
		{"two files", []string{"a", "b"}, "one recording at a time, got 2 (a, b)", nil},
		{"fast and speed", []string{"a", "--fast", "--speed", "2"}, "--fast with --speed 2: choose one", nil},
		{"negative speed", []string{"a", "--speed", "-1"}, "--speed -1: must be 0 or more", nil},
		{"sid without to", []string{"a", "--sid", "x"}, "--sid needs --to URL", nil},
		{"transport without to", []string{"a", "--transport", "websocket"}, "--transport needs --to URL", nil},
		{"bad transport", []string{"a", "--to", "http://x", "--transport", "carrier-pigeon"}, `--transport "carrier-pigeon"`, nil},
		{"bad to", []string{"a", "--to", "ftp://x"}, `--to "ftp://x": scheme "ftp"`, nil},
		{"bad path", []string{"a", "--path", "x"}, `--path "x": must start with /`, nil},
		{"unknown flag", []string{"a", "--bogus"}, "replay: flag provided but not defined: --bogus", nil},
		{"ignore", []string{"a", "--to", "http://x", "--ignore", "..token", "--ignore", "$[0].id", "--no-default-ignore"}, "", func(t *testing.T, c replayConfig) {
			if strings.Join(c.Ignore, " ") != "..token $[0].id" || !c.NoDefIgn {
				t.Fatalf("%+v", c)
			}
		}},
		{"ignore without to", []string{"a", "--ignore", "..token"}, "--ignore and --no-default-ignore need --to URL", nil},
		{"bad ignore", []string{"a", "--to", "http://x", "--ignore", "$[x]"}, `replay: --ignore "$[x]": [x] is not an index, * or a quoted key`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseReplayFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const hdrLine = `{"sioproxy":1,"mode":"reverse","target":"http://127.0.0.1:3000"}` + "\n"
const msgLine = `{"kind":"ws.msg","conn":1,"dir":"c2s","ts":"2026-01-02T03:04:05Z","opcode":1,"compressed":false,"wire_len":8,"frames":1,"len":2,"data":"40","enc":"utf8"}` + "\n"

func TestReplayErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       func(t *testing.T) []string
		code       int
		stderr     string
		stdoutLine bool // some output before the failure
	}{
		{"usage", func(*testing.T) []string { return []string{"replay"} }, 2, "replay: no recording given", false},
		{"missing file", func(*testing.T) []string { return []string{"replay", "/nonexistent/x.jsonl", "--json"} }, 1, "open /nonexistent/x.jsonl: no such file", false},
		{"not a recording", func(t *testing.T) []string {
			return []string{"replay", writeFile(t, "x.txt", "hello\n"), "--json"}
		}, 1, "x.txt:1: not a sioproxy recording or HAR", false},
		{"corrupt middle line", func(t *testing.T) []string {
			return []string{"replay", writeFile(t, "bad.jsonl", hdrLine+msgLine+"{\"kind\":\"ws.msg\",\n"+msgLine), "--json"}
		}, 1, "bad.jsonl:3: invalid JSON", false},
		{"torn last line is a warning", func(t *testing.T) []string {
			return []string{"replay", writeFile(t, "torn.jsonl", hdrLine+msgLine+`{"kind":"ws.m`), "--json"}
		}, 0, "sioproxy: warning: torn.jsonl:3: skipped torn last line", false},
		{"to: corrupt line", func(t *testing.T) []string {
			return []string{"replay", writeFile(t, "bad.jsonl", hdrLine+"nope\n"+msgLine), "--to", "http://127.0.0.1:1"}
		}, 1, "bad.jsonl:2: invalid JSON", false},
		{"to: no sessions", func(t *testing.T) []string {
			return []string{"replay", writeFile(t, "empty.jsonl", hdrLine), "--to", "http://127.0.0.1:1"}
		}, 1, "no Socket.IO session in the recording", false},
		{"help", func(*testing.T) []string { return []string{"replay", "--help"} }, 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, tc.args(t)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d stderr %q; want exit %d with %q", code, stderr, tc.code, tc.stderr)
			}
			if tc.stdoutLine && len(out) == 0 {
				t.Fatal("no output")
			}
		})
	}
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	har := filepath.Join(dir, "out.har")
	back := filepath.Join(dir, "back.jsonl.gz")
	if code, _, stderr := runCmd(t, "export", "--har", har, goldenRec); code != 0 {
		t.Fatalf("export --har: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "export", goldenRec+".missing", "--jsonl", back); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("missing input: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "export", "--jsonl", back, har); code != 0 {
		t.Fatalf("export --jsonl: exit %d %s", code, stderr)
	}
	// native → HAR → native decodes to the same events.
	_, want, _ := runCmd(t, "replay", goldenRec, "--json")
	for _, f := range []string{har, back} {
		code, got, stderr := runCmd(t, "replay", f, "--json")
		if code != 0 {
			t.Fatalf("replay %s: exit %d %s", f, code, stderr)
		}
		diffLines(t, want, got)
		// Exports hold what the recording held, secrets included.
		if fi, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", goldenRec}, "say what to write: --har OUT or --jsonl OUT"},
		{[]string{"export", "--har", "a", "--jsonl", "b", goldenRec}, "one output at a time"},
		{[]string{"export", "--har", "a"}, "no input recording"},
		{[]string{"export", "--har", "a", "b", "c"}, "one input at a time, got 2"},
		{[]string{"export", "--har", goldenRec, goldenRec}, "is the input"},
	} {
		if code, _, stderr := runCmd(t, tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d %q, want 2 with %q", tc.args, code, stderr, tc.want)
		}
	}
}
