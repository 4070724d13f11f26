package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioproxy/sioproxy/proxy/active"
)

// A changed file replaces the rules; a bad one keeps them and says why.
func TestWatchReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	os.WriteFile(path, []byte(`[{"name":"a","match":"event:x","drop":true}]`), 0o600)
	e := active.New(active.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var logs []string
	logf := func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, f)
		mu.Unlock()
	}
	if err := Watch(ctx, path, e, nil, parseFilter, logf); err != nil {
		t.Fatal(err)
	}
	if !e.WantsMessages() {
		t.Fatal("rules not registered")
	}
	waitLog := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, l := range logs {
				if strings.Contains(l, want) {
					mu.Unlock()
					return
				}
			}
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no log %q in %q", want, logs)
	}
	os.WriteFile(path, []byte(`[{"match":"bogus","drop":true}]`), 0o600)
	waitLog("previous rules stay")
	if !e.WantsMessages() {
		t.Fatal("a bad file removed the rules in force")
	}
	os.WriteFile(path, []byte(`[]`), 0o600)
	waitLog("reloaded")
	if e.WantsMessages() {
		t.Fatal("an empty rules file left a hook registered")
	}
	if err := Watch(ctx, filepath.Join(t.TempDir(), "missing.json"), e, nil, parseFilter, logf); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
