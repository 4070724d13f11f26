package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// SIOPROXY_PPROF serves the pacer's memory figures beside the profiles,
// for the soak benchmark's -memstats.
func TestPprofServesMemory(t *testing.T) {
	rec := httptest.NewRecorder()
	pprofMux().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/memory", nil))
	b := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(b, "limit=") || !strings.Contains(b, " released=") {
		t.Fatalf("/debug/memory: %d %q", rec.Code, b)
	}
}
