package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/internal/event"
)

// Faults staged from the --rules file (issue 14) behave as the same
// --inject flag: the same client reaction, the same INJECTED lines, the
// same diagnosis naming the rule; and a reload of the file switches them.

func TestInjectRulesFile(t *testing.T) {
	needProxy(t)
	t.Run("no-upgrade", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rules := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(rules, []byte("faults:\n  - no-upgrade\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		injectNoUpgradeWSOnly(t, "--rules", rules, "--control", filepath.Join(dir, "ctl.sock"))
	})
	t.Run("drop-pongs-on-reload", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rules := filepath.Join(dir, "rules.json")
		if err := os.WriteFile(rules, []byte(`[]`), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, fastServer(nil))
		px := startProxy(t, srv.url, "--rules", rules, "--control", filepath.Join(dir, "ctl.sock"))
		c := startChaosClient(t, px.url, map[string]any{"transports": []string{"websocket"}})
		first := c.wait(t, "a connect", 1, clientIs("connect"))
		// Heartbeats pass while the file stages nothing.
		expectWire(t, px, "a pong relayed", func(e event.Event) bool {
			return e.Kind == event.KindPacket && e.Engine == "pong" && e.Dir == "c2s" && e.Active == nil
		})
		if err := os.WriteFile(rules, []byte(`[{"name":"frozen tab","fault":"drop-pongs"}]`), 0o600); err != nil {
			t.Fatal(err)
		}
		if !px.stderr.waitFor(faultTimeout, func(lines []string) bool {
			return strings.Contains(strings.Join(lines, "\n"), "reloaded: 0 rules, 1 faults")
		}) {
			t.Fatalf("sioproxy did not reload the rules file\n%s", px.describe())
		}
		c.wait(t, `a disconnect "transport close"`, 1, disconnectWith("transport close"))
		c.wait(t, "a reconnection", 2, clientIs("connect"))
		expectInjectLine(t, px, "drop-pongs", "dropped")
		expectWire(t, px, "the session closed by ping timeout", func(e event.Event) bool {
			return sessionLine("close", first.Sid)(e) && e.Reason == "ping timeout"
		})
		expectInjectedFault(t, px, "drop-pongs", faultWant{catalog: []string{"F1"}, code: []string{"pong_missing"}, sid: first.Sid})
	})
}
