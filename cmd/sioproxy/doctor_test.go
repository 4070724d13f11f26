package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDoctorUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		exit int
		want string // in stdout for exit 0, stderr otherwise
	}{
		{[]string{"--help"}, 0, "usage: sioproxy doctor URL"},
		{nil, 2, "missing the server URL"},
		{[]string{"http://a", "http://b"}, 2, "one URL only"},
		{[]string{"http://a", "--header", "nocolon"}, 2, `want K:V, got "nocolon"`},
		{[]string{"http://a", "--eio", "5"}, 2, "bad --eio 5"},
		{[]string{"http://a", "--auth", "{"}, 2, "bad --auth"},
		{[]string{"http://a", "--sessions", "1000"}, 2, "--sessions 1000"},
		{[]string{"ftp://x"}, 2, `scheme "ftp"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runDoctor(context.Background(), tc.args, &out, &errb)
			got := errb.String()
			if tc.exit == 0 {
				got = out.String()
			}
			if code != tc.exit || !strings.Contains(got, tc.want) {
				t.Fatalf("exit %d, want %d; output %q, want %q", code, tc.exit, got, tc.want)
			}
		})
	}
}
