package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	// A HAR from Chrome: the report reads whatever replay reads.
	if err := runReport([]string{"../../recordings/testdata/chrome.har", "-o", out, "--redact"}, &stdout, &stderr); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report created with mode %v, want 0600 (it holds recorded traffic)", fi.Mode().Perm())
	}
	page, _ := os.ReadFile(out)
	if !bytes.Contains(page, []byte(`"redacted":true`)) || !bytes.Contains(page, []byte("<title>chrome.har · sioproxy report</title>")) {
		t.Errorf("the page should say it is redacted and carry the file name as its title")
	}
	if !strings.Contains(stderr.String(), "wrote "+out) {
		t.Errorf("stderr %q should say where the page went", stderr.String())
	}

	stdout.Reset()
	if err := runReport([]string{"../../recordings/testdata/session.jsonl", "-o", "-"}, &stdout, &stderr); err != nil || !strings.HasPrefix(stdout.String(), "<!DOCTYPE html>") {
		t.Errorf("-o - should write the page to stdout: %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no recording given"},
		{[]string{"a", "b"}, "one recording at a time"},
		{[]string{"a", "--packets", "0"}, "--packets 0"},
		{[]string{"a", "--path", "x"}, `--path "x"`},
		{[]string{filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{out, "-o", out}, "is the input"},
	} {
		err := runReport(tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("report %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
