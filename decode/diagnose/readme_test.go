package diagnose

import (
	"os"
	"strings"
	"testing"
)

// The README's fault table lists every code the Engine can raise, with
// its catalogue id and severity.
func TestREADMEListsEveryFault(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("no README.md beside the module:", err)
	}
	readme := string(b)
	for _, e := range Catalog() {
		row := "| " + e.Catalog + " | `" + e.Code + "` | " + string(e.Severity) + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README.md has no row starting %q", row)
		}
	}
}
