package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Set by TestMain.
var (
	e2eDir       string // absolute path of e2e/
	nodeBin      string // node executable
	sioproxyBin  string // built cmd/sioproxy, "" if the build failed
	sioproxyErr  error  // why sioproxyBin is empty
	directOnly   bool   // SIOPROXY_E2E_DIRECT_ONLY=1: skip everything that needs sioproxy
	buildTimeout = 5 * time.Minute
)

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

// setup installs the npm packages if needed and builds sioproxy into a new
// temporary directory, which it returns. A failed build is not fatal here:
// the tests that need the binary fail with the build error.
func setup() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	e2eDir = wd
	directOnly = os.Getenv("SIOPROXY_E2E_DIRECT_ONLY") == "1"

	if nodeBin, err = exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed (needed to run socket.io): %v", err)
	}
	if missing := missingPackages(); len(missing) > 0 {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", fmt.Errorf("e2e/node_modules is missing and npm is not installed to create it (apt-get install npm): %v", err)
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = e2eDir
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("npm ci in %s failed: %v", e2eDir, err)
		}
	}

	tmp, err := os.MkdirTemp("", "sioproxy-e2e-")
	if err != nil {
		return "", err
	}
	if directOnly {
		return tmp, nil
	}
	if bin := os.Getenv("SIOPROXY_E2E_BIN"); bin != "" {
		// A prebuilt binary, e.g. to test a release build.
		sioproxyBin = bin
		return tmp, nil
	}
	bin := filepath.Join(tmp, "sioproxy")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	args := []string{"build", "-o", bin}
	if raceEnabled {
		// Real traffic through a race-instrumented relay finds data races
		// the unit tests cannot reach.
		args = append(args, "-race")
	}
	args = append(args, "./cmd/sioproxy")
	cmd := exec.Command(goBin, args...)
	cmd.Dir = filepath.Dir(e2eDir)
	out, err := runWithTimeout(cmd, buildTimeout)
	if err != nil {
		sioproxyErr = fmt.Errorf("go build ./cmd/sioproxy failed: %v\n%s", err, out)
	} else {
		sioproxyBin = bin
	}
	return tmp, nil
}

// missingPackages lists package.json dependencies absent from node_modules,
// so that a dependency added since the last install triggers npm ci.
func missingPackages() []string {
	b, err := os.ReadFile(filepath.Join(e2eDir, "package.json"))
	if err != nil {
		return []string{"package.json: " + err.Error()}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return []string{"package.json: " + err.Error()}
	}
	var missing []string
	for name := range pkg.Dependencies {
		if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", name, "package.json")); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

func runWithTimeout(cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
		return out, err
	case <-time.After(d):
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
		<-done
		return out, fmt.Errorf("timed out after %v", d)
	}
}
