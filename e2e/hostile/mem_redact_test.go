package hostile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Finding 9: --redact masks CONNECT auth, Authorization, cookies and
// secret query parameters (the default list and --redact-param) in the
// headless output (--json and --no-tui), the recording and its HAR export.
func TestMemRedactHeadless(t *testing.T) {
	srv := memSioServer(t, nil)
	secrets := []string{"tqSECRET1", "taSECRET2", "hdrSECRET3", "ckSECRET4", "tkSECRET5"}
	for _, mode := range []string{"--json", "--no-tui"} {
		t.Run(mode, func(t *testing.T) {
			rec := filepath.Join(t.TempDir(), "rec.jsonl")
			p, addr := memProxy(t, true, srv, mode, "--redact", "--redact-param", "ticket", "--record", rec)
			out := memNode(t, `
const { io } = require('socket.io-client');
const s = io(process.env.URL, {
  query: { token: 'tqSECRET1', ticket: 'tkSECRET5', room: 'lobby' },
  auth: { token: 'taSECRET2' },
  extraHeaders: { Authorization: 'Bearer hdrSECRET3', Cookie: 'pref=ckSECRET4' },
  reconnection: false,
});
s.on('connect_error', (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('no answer within 60 s'); process.exit(1); }, 60000).unref();
const hello = async () => {
  const r = await s.timeout(20000).emitWithAck('hello', 'world');
  console.log(JSON.stringify(r));
  s.close();
};
// The upgrade may complete before or after 'connect'.
s.on('connect', () => s.io.engine.transport.name === 'websocket' ? hello() : s.io.engine.once('upgrade', hello));
`, "URL=http://"+addr)
			if !strings.Contains(out, `"event":"hello"`) {
				t.Fatalf("client: %q", out)
			}
			p.stdout.waitFor(t, "the hello event", regexpMust(`hello`))
			p.stop()
			lines := p.stdout.all()
			if mode == "--json" {
				memJSONLines(t, lines)
			}
			text := strings.Join(lines, "\n")
			if !strings.Contains(text, "redacted") || !strings.Contains(text, "room=lobby") && !strings.Contains(text, "lobby") {
				t.Fatalf("output shows no masked value or lost the harmless ones:\n%s", text)
			}
			recB, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			har := filepath.Join(t.TempDir(), "out.har")
			if b, err := exec.Command(memBinary(t), "export", "--har", har, rec).CombinedOutput(); err != nil {
				t.Fatalf("export: %v %s", err, b)
			}
			harB, err := os.ReadFile(har)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				for what, b := range map[string]string{mode + " output": text, "recording": string(recB), "HAR export": string(harB)} {
					if strings.Contains(b, s) {
						t.Errorf("%s in the %s:\n%s", s, what, b)
					}
				}
			}
		})
	}
}
