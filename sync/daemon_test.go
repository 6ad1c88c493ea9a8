package sync

import (
	"context"
	"errors"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/store"
)

// countingSource is a Source with one empty calendar that counts its
// cycles, and fails while fail is set.
type countingSource struct {
	mu     gosync.Mutex
	cycles int
	fail   bool
	block  chan struct{} // when set, Changes waits for it (or ctx)
}

func (s *countingSource) Calendars(ctx context.Context) ([]calendar.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cycles++
	if s.fail {
		return nil, errors.New("server down")
	}
	return []calendar.Ref{{ID: "/cal/"}}, nil
}

func (s *countingSource) Changes(ctx context.Context, cal, cursor string, known map[string]string) (calendar.Changes, error) {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return calendar.Changes{}, ctx.Err()
		}
	}
	return calendar.Changes{Full: cursor == "", Cursor: "c1", Requests: 1}, nil
}

func (s *countingSource) Decode(cal string, obj calendar.Object) ([]calendar.Event, error) {
	return nil, nil
}

func (s *countingSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cycles
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitFor polls cond for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestDaemonOneFailingSourceDoesNotStopTheOthers(t *testing.T) {
	good, bad := &countingSource{}, &countingSource{fail: true}
	d := &Daemon{
		Engine:     &Engine{Store: openStore(t), Sources: []NamedSource{{Name: "good", Source: good}, {Name: "bad", Source: bad}}},
		Interval:   20 * time.Millisecond,
		MaxBackoff: 80 * time.Millisecond,
		Jitter:     -1,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "three cycles of the good source", func() bool { return good.count() >= 3 && bad.count() >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := d.Status()
	if st[0].LastError != "" || st[0].LastSuccess.IsZero() {
		t.Errorf("good source: %+v", st[0])
	}
	if st[1].Failures < 2 || st[1].LastError == "" || !st[1].LastSuccess.IsZero() {
		t.Errorf("bad source: %+v", st[1])
	}
	// The failing source backs off: its waits double up to MaxBackoff.
	var waits []time.Duration
	for n := 1; n <= 4; n++ {
		d.status["bad"].Failures = n
		waits = append(waits, d.nextWait("bad", Summary{Err: errors.New("x")}))
	}
	want := []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 80 * time.Millisecond}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("backoff after %d failures = %v, want %v", i+1, waits[i], want[i])
		}
	}
}

func TestDaemonFirstWaitFromTheStore(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	eng := &Engine{Store: st, Sources: []NamedSource{{Name: "team", Source: &countingSource{}}}, Now: func() time.Time { return now }}
	d := &Daemon{Engine: eng, Interval: 5 * time.Minute, Jitter: -1}
	d.init()
	if w := d.firstWait("team"); w != 0 {
		t.Errorf("never synced: first wait %v, want 0", w)
	}
	if err := st.PutCalendarState(store.CalendarState{Source: "team", Calendar: "/cal/", LastSync: now.Add(-time.Minute), LastSuccess: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if w := d.firstWait("team"); w != 4*time.Minute {
		t.Errorf("synced a minute ago: first wait %v, want 4m", w)
	}
	if got := d.Status()[0].LastSuccess; !got.Equal(now.Add(-time.Minute)) {
		t.Errorf("status starts from the store's last success, got %v", got)
	}
	if err := st.PutCalendarState(store.CalendarState{Source: "team", Calendar: "/cal/", LastSync: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if w := d.firstWait("team"); w != 0 {
		t.Errorf("overdue: first wait %v, want 0", w)
	}
	d.Jitter = 0.1
	if w := d.firstWait("team"); w != 0 {
		t.Errorf("overdue with jitter: first wait %v, want 0 (sync at once)", w)
	}
	if err := st.PutCalendarState(store.CalendarState{Source: "team", Calendar: "/cal/", LastSync: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if w := d.firstWait("team"); w < 4*time.Minute || w > 4*time.Minute+30*time.Second {
			t.Fatalf("jittered wait %v outside [4m, 4m30s]", w)
		}
	}
}

func TestDaemonShutdownLetsACycleFinish(t *testing.T) {
	src := &countingSource{block: make(chan struct{})}
	d := &Daemon{Engine: &Engine{Store: openStore(t), Sources: []NamedSource{{Name: "slow", Source: src}}}, Interval: time.Hour, Jitter: -1, Grace: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "the first cycle to start", func() bool { return src.count() == 1 })
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a cycle was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(src.block) // the cycle finishes within the grace period
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := d.Status()[0]; st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("the cycle under way at shutdown did not finish: %+v", st)
	}
}

func TestDaemonShutdownAbandonsAfterGrace(t *testing.T) {
	src := &countingSource{block: make(chan struct{})}
	d := &Daemon{Engine: &Engine{Store: openStore(t), Sources: []NamedSource{{Name: "stuck", Source: src}}}, Interval: time.Hour, Jitter: -1, Grace: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "the first cycle to start", func() bool { return src.count() == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := d.Status()[0]; st.LastError == "" {
		t.Errorf("a cycle abandoned at shutdown should be recorded as failed: %+v", st)
	}
}

func TestDaemonSyncNow(t *testing.T) {
	a, b := &countingSource{}, &countingSource{}
	d := &Daemon{Engine: &Engine{Store: openStore(t), Sources: []NamedSource{{Name: "a", Source: a}, {Name: "b", Source: b}}}, Interval: time.Hour}
	sums, err := d.SyncNow(context.Background())
	if err != nil || len(sums) != 2 || a.count() != 1 || b.count() != 1 {
		t.Fatalf("SyncNow: %v, %d summaries, cycles %d and %d", err, len(sums), a.count(), b.count())
	}
}

// TestDaemonBoundsConcurrentCycles: ten sources due at once, three turns:
// three cycles start, the others wait for a turn, and all ten run once
// the first are done; never more than three at once.
func TestDaemonBoundsConcurrentCycles(t *testing.T) {
	block := make(chan struct{})
	var srcs []*countingSource
	var named []NamedSource
	for i := range 10 {
		s := &countingSource{block: block}
		srcs = append(srcs, s)
		named = append(named, NamedSource{Name: string(rune('a' + i)), Source: s})
	}
	d := &Daemon{Engine: &Engine{Store: openStore(t), Sources: named}, Interval: time.Hour, Jitter: -1, Concurrent: 3}
	started := func() int {
		n := 0
		for _, s := range srcs {
			n += s.count()
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "three cycles under way", func() bool { return started() == 3 })
	// The others are waiting for a turn, not running: give them the
	// chance to start, and see that they did not.
	for range 20 {
		time.Sleep(time.Millisecond)
		if n := started(); n != 3 {
			t.Fatalf("%d cycles started with 3 turns", n)
		}
	}
	close(block)
	waitFor(t, "all ten cycles", func() bool { return started() == 10 })
	waitFor(t, "all ten statuses", func() bool {
		for _, st := range d.Status() {
			if st.LastSuccess.IsZero() {
				return false
			}
		}
		return true
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.maxRunning != 3 {
		t.Errorf("at most %d cycles ran at once, want 3", d.maxRunning)
	}
}
