package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// "inspect -" reads the calendar from standard input, and says the same
// as for the file.
func TestInspectStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/google.ics")
	if err != nil {
		t.Fatal(err)
	}
	old := stdin
	stdin = bytes.NewReader(data)
	t.Cleanup(func() { stdin = old })
	args := []string{"--format", "json", "--from", "2025-09-01", "--to", "2025-11-01"}
	code, out, errs := runCmd(t, append([]string{"inspect", "-"}, args...)...)
	if code != 0 || !strings.Contains(out, `"file": "(stdin)"`) {
		t.Fatalf("inspect -: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	want := mustRun(t, append([]string{"inspect", "testdata/google.ics"}, args...)...)
	if got := strings.Replace(out, `"file": "(stdin)"`, `"file": "testdata/google.ics"`, 1); got != want {
		t.Errorf("inspect - says\n%s\nthe file says\n%s", got, want)
	}
}
