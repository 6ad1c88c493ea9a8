package sync

import (
	"strings"
	"testing"
)

// A dry run writes nothing: its line says what it would write, and has no
// writes or conflicts to count.
func TestSummaryDryRunSaysWouldWrite(t *testing.T) {
	s := Summary{Source: "team", DryRun: true, Blocks: Blocks{Written: 6, AlreadyRight: 2}}
	line := s.String()
	if strings.Contains(line, "written") || !strings.Contains(line, "blocks: 6 would write, 2 already right") {
		t.Errorf("dry-run line = %q", line)
	}
	s.DryRun = false
	if line := s.String(); !strings.Contains(line, "blocks: 6 written in 0 writes, 2 already right") {
		t.Errorf("line = %q", line)
	}
}
