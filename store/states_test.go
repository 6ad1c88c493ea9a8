package store

import (
	"path/filepath"
	"testing"
)

// Opening a file of this schema writes nothing: a one-shot command that
// finds nothing to do commits nothing.
func TestOpenCommitsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Commits() == 0 {
		t.Error("creating the file committed nothing")
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Commits(); n != 0 {
		t.Errorf("opening it again made %d commits, want 0", n)
	}
}
