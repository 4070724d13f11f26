package rules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/proxy/active"
	"github.com/sioproxy/sioproxy/proxy/inject"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             []string // the faults' canonical texts
	}{
		{"list", "r.json", `[{"fault":"drop-pongs"},{"match":"event:a","drop":true},{"name":"lb","fault":"cut-ws=60s:close"}]`,
			[]string{"drop-pongs", "cut-ws=1m0s:close"}},
		{"object", "r.json", `{"faults":["no-upgrade","drop-pings=50%"],"rules":[{"fault":"strip-cors"}]}`,
			[]string{"no-upgrade", "drop-pings=50%", "strip-cors"}},
		{"yaml", "r.yaml", "faults:\n  - no-upgrade\nrules:\n  - match: event:a\n    drop: true\n  - fault: drop-pongs\n",
			[]string{"no-upgrade", "drop-pongs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseFile(tc.file, []byte(tc.data), parseFilter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range s.Faults() {
				got = append(got, f.Text)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("faults %q, want %q", got, tc.want)
			}
		})
	}
	// A fault entry is not a message rule: it registers no hook.
	s, _ := Parse([]byte(`[{"fault":"drop-pongs"}]`), parseFilter)
	if s.Len() != 0 {
		t.Errorf("a fault-only file has %d message rules", s.Len())
	}
}

func TestParseFaultErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[{"match":"event:a","drop":true},{"fault":"drop-pongz"}]`, `rule 2 (rule 2): fault "drop-pongz": unknown rule "drop-pongz"`},
		{`[{"name":"lb","fault":"cut-ws=soon"}]`, `rule 1 (lb): fault "cut-ws=soon": `},
		{`[{"fault":"drop-pongs=200%"}]`, `fault "drop-pongs=200%"`},
		{`[{"fault":"drop-pongs","match":"event:a"}]`, `rule 1 (rule 1): fault "drop-pongs": a fault entry takes no match or action`},
		{`{"faults":["no-upgrade","loss"]}`, `faults[1]: fault "loss": loss needs a value`},
		{`{"faults":"no-upgrade"}`, `cannot unmarshal string`},
		{`[{"faults":["no-upgrade"]}]`, `unknown field "faults"`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), parseFilter)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// Faults from the file reach the --inject set, and follow its reloads.
func TestWatchFaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	os.WriteFile(path, []byte(`[{"fault":"drop-pongs"}]`), 0o600)
	set := inject.NewSet(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Watch(ctx, path, active.New(active.Options{}), set, parseFilter, t.Logf); err != nil {
		t.Fatal(err)
	}
	if set.Get(inject.DropPongs) == nil {
		t.Fatal("the file's drop-pongs is not on after the first load")
	}
	os.WriteFile(path, []byte(`{"faults":["no-upgrade"]}`), 0o600)
	deadline := time.Now().Add(10 * time.Second)
	for set.Get(inject.NoUpgrade) == nil || set.Get(inject.DropPongs) != nil {
		if time.Now().After(deadline) {
			t.Fatal("a reload did not replace drop-pongs by no-upgrade")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A fault the run cannot apply is refused like a bad one: at start, and
// on reload (the faults in force stay).
func TestWatchFaultCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	set := inject.NewSet(nil)
	set.SetCheck(func(r inject.Rule) error {
		if r.Kind == inject.RerouteSid {
			return errors.New("needs two targets")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	os.WriteFile(path, []byte(`{"faults":["reroute-sid"]}`), 0o600)
	if err := Watch(ctx, path, active.New(active.Options{}), set, parseFilter, t.Logf); err == nil || !strings.Contains(err.Error(), "needs two targets") {
		t.Fatalf("a fault the check refuses: %v", err)
	}
	os.WriteFile(path, []byte(`{"faults":["drop-pongs"]}`), 0o600)
	logs := make(chan string, 16)
	logf := func(f string, a ...any) { logs <- fmt.Sprintf(f, a...) }
	if err := Watch(ctx, path, active.New(active.Options{}), set, parseFilter, logf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(`{"faults":["reroute-sid"]}`), 0o600)
	if l := <-logs; !strings.Contains(l, "needs two targets") || !strings.Contains(l, "previous rules stay") {
		t.Fatalf("reload log %q, want the refusal", l)
	}
	if set.Get(inject.DropPongs) == nil || set.Get(inject.RerouteSid) != nil {
		t.Fatal("a refused reload changed the faults in force")
	}
}
