package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/history"
	"oneonone/internal/fake/caldavserver"
	"oneonone/internal/fake/googleapi"
	"oneonone/store"
	"oneonone/sync"
)

// benchNow is the moment every benchmark syncs at: a Friday morning.
var benchNow = time.Date(2026, 11, 20, 9, 0, 0, 0, berlin())

// berlin is Europe/Berlin, loaded once: the agenda function of the
// benchmarks asks for it every block, and loading it costs more than the
// block.
var berlin = gosync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
})

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// ---- CalDAV

// davEnv is the in-process CalDAV server behind httptest, holding
// generated calendars, with a count of the requests that change something.
type davEnv struct {
	srv    *caldavserver.Server
	ts     *httptest.Server
	writes atomic.Int64
	cals   []*Calendar
	paths  []string
}

func newDAV(tb testing.TB, cals ...*Calendar) *davEnv {
	tb.Helper()
	e := &davEnv{srv: caldavserver.New("org"), cals: cals}
	e.srv.SetBasicAuth("org", "secret")
	for i, c := range cals {
		p, err := e.srv.CreateCalendar(fmt.Sprintf("cal%04d", i), c.Spec.Owner)
		if err != nil {
			tb.Fatal(err)
		}
		e.paths = append(e.paths, p)
		for _, t := range c.Things {
			if _, _, err := e.srv.PutObject(p, t.UID+".ics", c.ICS(t)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	h := e.srv.Handler()
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, "PROPFIND", "REPORT":
		default:
			e.writes.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(e.close)
	return e
}

// close stops the server and lets its calendars go.
func (e *davEnv) close() {
	if e.ts != nil {
		e.ts.Close()
		e.ts, e.srv = nil, nil
	}
}

func (e *davEnv) source(tb testing.TB) sync.NamedSource {
	tb.Helper()
	c, err := caldav.New(caldav.Options{URL: e.ts.URL + "/", Username: "org", Password: "secret", Zone: berlin()})
	if err != nil {
		tb.Fatal(err)
	}
	return sync.NamedSource{Name: "dav", Source: c}
}

func (e *davEnv) requests() int64 { return e.srv.Requests() }

// ---- Google

// googleEnv is the fake Google Calendar API behind httptest, one calendar
// per generated calendar (its id the owner's address).
type googleEnv struct {
	srv  *googleapi.Server
	ts   *httptest.Server
	cals []*Calendar
}

func newGoogle(tb testing.TB, cals ...*Calendar) *googleEnv {
	tb.Helper()
	e := &googleEnv{srv: googleapi.New(), cals: cals}
	for _, c := range cals {
		e.srv.AddCalendar(c.Spec.Owner, c.Spec.Owner, c.Spec.Zone.String())
		var items [][]byte
		for _, t := range c.Things {
			items = append(items, c.GoogleItems(t)...)
		}
		for len(items) > 0 { // one change per 5,000 items, as a busy UI would make
			n := min(len(items), 5000)
			if err := e.srv.Apply(c.Spec.Owner, items[:n]...); err != nil {
				tb.Fatal(err)
			}
			items = items[n:]
		}
	}
	e.ts = httptest.NewServer(e.srv)
	tb.Cleanup(e.close)
	return e
}

// close stops the server and lets its calendars go.
func (e *googleEnv) close() {
	if e.ts != nil {
		e.ts.Close()
		e.ts, e.srv = nil, nil
	}
}

// sources returns one source per calendar: a Google source is one calendar.
func (e *googleEnv) sources(tb testing.TB) []sync.NamedSource {
	tb.Helper()
	var out []sync.NamedSource
	for i, c := range e.cals {
		cl, err := google.New(context.Background(), google.Options{Calendar: c.Spec.Owner, Endpoint: e.ts.URL + "/", Zone: berlin()})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, sync.NamedSource{Name: fmt.Sprintf("g%04d", i), Source: cl})
	}
	return out
}

func (e *googleEnv) requests() int64 { return e.srv.Requests() }

// ---- engine

// engineOpts are the knobs the benchmarks turn.
type engineOpts struct {
	agenda  bool          // write agenda blocks back
	history time.Duration // Engine.History; 0 = its default (53 weeks)
}

// newEngine returns an engine over a fresh bbolt store in dir, syncing at
// *now, with every calendar owner as "me".
func newEngine(tb testing.TB, dir string, srcs []sync.NamedSource, cals []*Calendar, now *time.Time, o engineOpts) *sync.Engine {
	tb.Helper()
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	var rules history.DetectRules
	for _, c := range cals {
		rules.Me = append(rules.Me, c.Spec.Owner)
	}
	eng := &sync.Engine{
		Store:   st,
		Sources: srcs,
		Rules:   rules,
		Horizon: 14 * 24 * time.Hour,
		History: o.history,
		Now:     func() time.Time { return *now },
		Log:     quiet,
	}
	if o.agenda {
		eng.Agenda = func(_ context.Context, s calendar.Series, _ bool) (agenda.Block, error) {
			return agenda.Block{Link: "https://docs.example.com/1on1/" + s.Counterpart, With: s.Counterpart, Location: berlin()}, nil
		}
	}
	return eng
}

// syncAll runs one cycle and fails on any error or problem.
func syncAll(tb testing.TB, eng *sync.Engine) []sync.Summary {
	tb.Helper()
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range sums {
		if len(s.Problems) > 0 {
			tb.Fatalf("%s: %d problems, first: %v", s.Source, len(s.Problems), s.Problems[0])
		}
	}
	return sums
}

func total(sums []sync.Summary) (t sync.Summary) {
	for _, s := range sums {
		t.Calendars += s.Calendars
		t.Objects += s.Objects
		t.Changed += s.Changed
		t.Series += s.Series
		t.Requests += s.Requests
		t.Blocks.Written += s.Blocks.Written
		t.Blocks.AlreadyRight += s.Blocks.AlreadyRight
		t.Blocks.Conflicts += s.Blocks.Conflicts
		t.Blocks.Refused += s.Blocks.Refused
	}
	return t
}

// ---- peak heap

// heapMetric is the bytes of live and not yet swept heap objects: what the
// heap holds at the moment it is read.
const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peak samples heapMetric every 200µs until stop, keeping the highest value.
type peak struct {
	stop chan struct{}
	done chan struct{}
	max  atomic.Uint64
}

// watchPeak collects garbage (so that the baseline is what is live) and
// starts sampling. It returns the baseline.
func watchPeak() (*peak, uint64) {
	// Twice: what sync.Pools held survives the first collection.
	runtime.GC()
	runtime.GC()
	base := heapNow()
	p := &peak{stop: make(chan struct{}), done: make(chan struct{})}
	p.max.Store(base)
	go func() {
		defer close(p.done)
		s := []metrics.Sample{{Name: heapMetric}}
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > p.max.Load() {
				p.max.Store(v)
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p, base
}

// Stop ends sampling and returns the peak.
func (p *peak) Stop() uint64 {
	if v := heapNow(); v > p.max.Load() {
		p.max.Store(v)
	}
	close(p.stop)
	<-p.done
	return p.max.Load()
}

const mb = 1 << 20

// iterDir makes a fresh directory for one iteration's store; the caller
// removes it.
func iterDir(tb testing.TB) string {
	tb.Helper()
	d, err := os.MkdirTemp(tb.TempDir(), "it")
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
