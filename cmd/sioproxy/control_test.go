package main

import (
	"bytes"
	"context"
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
	}
	for _, tc := range tests {
		var stderr bytes.Buffer
		code := run(context.Background(), tc.args, os.Stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
