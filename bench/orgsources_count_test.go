package bench

import (
	"testing"
	"time"

	"oneonone/sync"
)

// TestOrgSourcesCounts is BenchmarkOrgSources small (20 managers × 3
// reports), with agenda write-back on, asserting counts only (never a
// time), for the managers as Google subjects and as CalDAV accounts:
//
//   - every manager is a source of its own, "<source>/<address>", with all
//     of its series, and its requests are counted by the server under that
//     manager alone, as many as its client counted;
//   - the first cycle stays within a per-person budget derived from what
//     the server does: Google lists the calendar in pages (SetPageSize
//     makes them pageSize items), so ⌈items / pageSize⌉ requests, plus a
//     patch per block written, at most two per series (its master and its
//     next slot, moved: an exception, an item of its own); CalDAV is 4
//     requests of discovery (well-known, principal, home set, OPTIONS), the
//     listing, ⌈objects / 100⌉ multigets, and a PUT per block written, at
//     most one per series (a series is one object, its exceptions
//     included); Google issues one token per subject;
//   - the second cycle writes nothing; it reads back what the first wrote:
//     Google's sync token lists the patched items again (⌈writes /
//     pageSize⌉ pages), CalDAV's changed ctag costs the ctag, the ETag
//     listing and one multiget of the rewritten objects (3);
//   - the third cycle is quiet: no write, one request per manager.
func TestOrgSourcesCounts(t *testing.T) {
	const managers, reports, pageSize = 20, 3, 5
	cals := orgCalendarsOf(managers, reports)
	ceil := func(a, b int) int64 { return int64((a + b - 1) / b) }
	for _, kind := range []struct {
		name   string
		make   func() *orgPeople
		prefix string
		// first is the budget of a manager's first cycle, second what the
		// second cycle reads back after writes writes.
		first  func(c *Calendar) int64
		second func(writes int) int64
	}{
		{"google-subjects", func() *orgPeople { return newOrgGoogle(t, cals, pageSize) }, "ws/",
			func(c *Calendar) int64 { return ceil(c.EventCount(), pageSize) + 2*int64(c.SeriesCount()) },
			func(writes int) int64 { return ceil(writes, pageSize) }},
		{"caldav-accounts", func() *orgPeople { return newOrgCalDAV(t, cals) }, "team/",
			func(c *Calendar) int64 { return 4 + 1 + ceil(len(c.Things), 100) + int64(c.SeriesCount()) },
			func(int) int64 { return 3 }},
	} {
		t.Run(kind.name, func(t *testing.T) {
			org := kind.make()
			now := benchNow
			eng := newEngine(t, t.TempDir(), orgSources(t, org.cfg), cals, &now, engineOpts{agenda: true})
			t.Cleanup(func() { eng.Store.Close() })
			var written map[string]int // blocks' writes of the first cycle, by manager
			for cycle := 1; cycle <= 3; cycle++ {
				var sums []sync.Summary
				n := org.count(func() { sums = syncAll(t, eng) })
				if len(sums) != managers {
					t.Fatalf("cycle %d: %d sources, want %d", cycle, len(sums), managers)
				}
				var writes int64
				for i, s := range sums {
					c, who := cals[i], cals[i].Spec.Owner
					if s.Source != kind.prefix+who || s.Err != nil || s.Series != c.SeriesCount() {
						t.Errorf("cycle %d: source %s (want %s%s): %d series, want %d; error %v", cycle, s.Source, kind.prefix, who, s.Series, c.SeriesCount(), s.Err)
					}
					got := n.by[who]
					if got != int64(s.Requests) {
						t.Errorf("cycle %d: %s: the server counted %d requests, the client %d", cycle, who, got, s.Requests)
					}
					var budget int64
					switch cycle {
					case 1:
						budget = kind.first(c)
						if written == nil {
							written = map[string]int{}
						}
						written[who] = s.Blocks.Writes
						if s.Blocks.Writes == 0 {
							t.Errorf("cycle 1: %s wrote no block", who)
						}
					case 2:
						budget = kind.second(written[who])
					default:
						budget = 1
					}
					if got > budget || got == 0 {
						t.Errorf("cycle %d: %s made %d requests, budget %d", cycle, who, got, budget)
					}
					writes += int64(s.Blocks.Writes)
				}
				if n.writes != writes || (cycle > 1 && n.writes != 0) {
					t.Errorf("cycle %d: the server took %d writes, the sources made %d (want 0 after the first cycle)", cycle, n.writes, writes)
				}
				wantTokens := int64(0)
				if cycle == 1 {
					wantTokens = managers
				}
				if org.tokens != nil && n.tokens != wantTokens {
					t.Errorf("cycle %d: %d tokens issued, want one per subject in the first cycle, none after", cycle, n.tokens)
				}
				t.Logf("cycle %d: %d requests (most by one manager %d), %d writes, %d tokens", cycle, n.requests, n.maxBy(), n.writes, n.tokens)
				now = now.Add(5 * time.Minute)
			}
		})
	}
}
