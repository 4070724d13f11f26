package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inject and sessions name what is wrong with their arguments, and say
// when no sioproxy is running.
func TestInjectErrors(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inject", "--as", "server"}, 2, "inject: no EVENT name"},
		{[]string{"inject", "--as", "bot", "ev"}, 2, `--as "bot": want client or server`},
		{[]string{"inject", "--as", "server", "ev", "{bad"}, 2, `argument "{bad" is not JSON`},
		{[]string{"inject", "--control", sock, "--as", "server", "ev", `"ok"`, "--ack"}, 1, "no sioproxy on control socket " + sock},
		{[]string{"inject", "--as", "client", "ev", "--attach", filepath.Join(t.TempDir(), "missing")}, 1, "--attach"},
		{[]string{"sessions", "--control", sock}, 1, "no sioproxy on control socket"},
		// A JSON argument that starts with '-' is an argument, not a flag;
		// -- ends the flags; anything else with a dash is named.
		{[]string{"inject", "--control", sock, "--as", "server", "ev", "-5", "--ack", "-1.5e3"}, 1, "no sioproxy on control socket"},
		{[]string{"inject", "--control", sock, "--as", "server", "--", "-ev", "-5", "--ack"}, 2, `argument "--ack" is not JSON`},
		{[]string{"inject", "--as", "server", "ev", "-x"}, 2, `argument "-x" is neither a flag nor JSON`},
		{[]string{"inject", "--as", "server", "-x", "ev"}, 2, `flag provided but not defined: --x`},
		{[]string{"inject", "--as", "server", "ev", "--sid"}, 2, `flag needs an argument: --sid`},
	}
	for _, tc := range tests {
		var stderr bytes.Buffer
		code := run(context.Background(), tc.args, os.Stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// TestParseInjectArgs: flags anywhere, JSON arguments that start with '-'
// kept as arguments, -- ending the flags.
func TestParseInjectArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		pos  string
		ack  bool
		sid  string
	}{
		{"negative number", []string{"--as", "server", "ev", "-5"}, "ev|-5", false, ""},
		{"flags between", []string{"ev", "-5", "--ack", "--sid", "-abc", `"-x"`, "-0.5"}, `ev|-5|"-x"|-0.5`, true, "-abc"},
		{"double dash", []string{"--ack", "--", "-ev", "--sid"}, "-ev|--sid", true, ""},
		{"flag=value", []string{"--sid=s1", "ev", "--ack=true", "[-1]"}, "ev|[-1]", true, "s1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("inject", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var as, sid string
			var ack bool
			fs.StringVar(&as, "as", "", "")
			fs.StringVar(&sid, "sid", "", "")
			fs.BoolVar(&ack, "ack", false, "")
			pos, err := parseInjectArgs(fs, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(pos, "|"); got != tc.pos || ack != tc.ack || sid != tc.sid {
				t.Fatalf("pos %q ack %v sid %q; want %q %v %q", got, ack, sid, tc.pos, tc.ack, tc.sid)
			}
		})
	}
}
