package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGrafanaDashboard keeps docs/grafana-dashboard.json valid JSON whose
// queries name only metrics this package exports, and use each of them.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("docs/grafana-dashboard.json is not valid JSON: %v", err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard without a title or panels")
	}
	name := regexp.MustCompile(`sioproxy_[a-z_]+`)
	used := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				base := m
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if s, ok := strings.CutSuffix(m, suf); ok && slices.Contains(Names, s) {
						base = s
					}
				}
				if !slices.Contains(Names, base) {
					t.Errorf("panel %q queries %s, which sioproxy does not export", p.Title, m)
				}
				used[base] = true
			}
		}
	}
	for _, n := range Names {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}
