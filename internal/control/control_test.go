package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sioproxy/sioproxy/proxy/active"
)

func TestListenAndClient(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	e := active.New(active.Options{})
	s, err := Listen(path, e)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v %v, want 0600", fi.Mode(), err)
	}
	if _, err := Listen(path, e); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Listen: %v, want ErrInUse", err)
	}
	c := NewClient(path)
	ctx := context.Background()
	list, err := c.Sessions(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("sessions %v %v", list, err)
	}
	_, err = c.Inject(ctx, InjectRequest{As: "server", Event: "x"})
	if err == nil || !strings.Contains(err.Error(), "no live Socket.IO session") {
		t.Fatalf("inject without a session: %v", err)
	}
	_, err = c.Inject(ctx, InjectRequest{As: "nobody", Event: "x"})
	if err == nil || !strings.Contains(err.Error(), `as "nobody"`) {
		t.Fatalf("inject as nobody: %v", err)
	}
	s.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	if _, err := NewClient(path).Sessions(ctx); err == nil || !strings.Contains(err.Error(), "no sioproxy on control socket") {
		t.Fatalf("client without a server: %v", err)
	}
}

// A socket file left by a dead sioproxy is replaced.
func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(path, active.New(active.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
