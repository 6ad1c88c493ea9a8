package bench

import (
	"compress/flate"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/sync"
)

// maxStateRatio bounds the state file against the iCalendar bytes it holds
// after a cold sync of the 10k-event CalDAV calendar (docs/PERFORMANCE.md,
// "State file": 1.33× measured, objects deflated).
const maxStateRatio = 1.5

// TestStateFileSize syncs the generated 10k-event CalDAV calendar into an
// empty store and checks that the state file is at most maxStateRatio times
// the iCalendar data it holds. It logs the ratio and, per bucket, what the
// bytes go to (bbolt's Bucket.Stats).
func TestStateFileSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a cold sync of 10,000 events: not under -short")
	}
	cal := oneCalendar(10_000)
	env := newDAV(t, cal)
	dir := t.TempDir()
	now := benchNow
	eng := newEngine(t, dir, []sync.NamedSource{env.source(t)}, []*Calendar{cal}, &now, engineOpts{})
	sum := total(syncAll(t, eng))
	if want := cal.SeriesCount(); sum.Series != want {
		t.Fatalf("%d series recognised, want %d", sum.Series, want)
	}
	states, err := eng.Store.CalendarStates("")
	if err != nil {
		t.Fatal(err)
	}
	ics, objects := 0, 0
	var deflated countWriter // what the objects would take deflated (not done: the store keeps them raw)
	zw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	for _, cs := range states {
		objs, err := eng.Store.Objects(cs.Source, cs.Calendar)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			ics += len(o.Data)
			zw.Reset(&deflated)
			_, _ = zw.Write(o.Data)
			_ = zw.Close()
		}
		objects += len(objs)
	}
	path := eng.Store.Path()
	if err := eng.Store.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(fi.Size()) / float64(ics)
	t.Logf("state file %d bytes for %d objects holding %d iCalendar bytes: %.2f×", fi.Size(), objects, ics, ratio)
	t.Logf("the iCalendar data deflated object by object (flate level 1) would be %d bytes (%.2f×)", deflated.n, float64(deflated.n)/float64(ics))
	bucketStats(t, path)
	if objects == 0 || ratio > maxStateRatio {
		t.Errorf("state file is %.2f× the iCalendar data it holds, want ≤ %.1f×", ratio, maxStateRatio)
	}
}

// bucketStats logs, per top-level bucket of the file at path, its keys and
// the bytes its pages take and use, and the free pages.
func bucketStats(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(filepath.Clean(path), 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		t.Logf("pages in use up to %d bytes", tx.Size())
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			s := b.Stats()
			alloc := s.BranchAlloc + s.LeafAlloc
			inuse := s.BranchInuse + s.LeafInuse
			t.Logf("bucket %-12s %6d keys %10d bytes in pages (%d leaf, %d overflow) %10d used (%.0f%%)",
				name, s.KeyN, alloc, s.LeafPageN, s.LeafOverflowN, inuse, 100*float64(inuse)/float64(max(alloc, 1)))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	st := db.Stats()
	t.Logf("free pages %d, pending %d (%d bytes)", st.FreePageN, st.PendingPageN, st.FreeAlloc)
}
