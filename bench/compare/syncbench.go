package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// syncOpts configures the sync comparison.
type syncOpts struct {
	Events   int
	Reps     int
	Oneonone string // the oneonone binary
	WorkDir  string
	// Upload is "collection" (one PUT of the whole calendar) or "each"
	// (one PUT per object).
	Upload string
}

// toolRun is what one tool did in one sync: time, CPU, memory, requests.
type toolRun struct {
	measured
	Requests requests
}

// syncRep is one repetition: each tool's first sync (from fresh state) and
// second, no-change sync. vdirsyncer's first sync is preceded by discover.
type syncRep struct {
	VdirDiscover, VdirFirst, VdirSecond toolRun
	OneFirst, OneSecond                 toolRun
}

type syncResult struct {
	Mix                   calMix
	Upload                time.Duration
	UploadRequests        int
	UploadMode            string
	ServerObjects         int // objects the calendar holds after the upload
	Reps                  []syncRep
	VdirFiles             int    // .ics files vdirsyncer wrote (last repetition)
	OneSummary            string // oneonone's summary line of a first sync
	OneSecondSummary      string
	RadicaleURL, CalPath  string
	LoadBefore, LoadAfter string // load averages around the timed repetitions
}

// runSyncComparison starts Radicale, uploads the generated calendar and
// times vdirsyncer and oneonone pulling it, alternating which goes first.
func runSyncComparison(ctx context.Context, o syncOpts) (*syncResult, error) {
	dir := filepath.Join(o.WorkDir, "sync")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	srv, err := startRadicale(dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	res := &syncResult{RadicaleURL: srv.URL, CalPath: srv.CalendarPath}

	objs, mix := generateCalendar(o.Events, 1)
	res.Mix = mix
	logf("sync: uploading %d objects (%d VEVENTs, %.1f MB) to Radicale at %s%s", len(objs), mix.VEvents, float64(mix.Bytes)/1e6, srv.URL, srv.CalendarPath)
	off := srv.logOffset()
	t0 := time.Now()
	res.UploadMode = o.Upload
	switch o.Upload {
	case "each":
		err = srv.upload(ctx, objs, 4)
	case "collection", "":
		res.UploadMode = "collection"
		err = srv.uploadCollection(ctx, objs)
	default:
		err = fmt.Errorf("-upload: want collection or each, got %q", o.Upload)
	}
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	res.Upload = time.Since(t0)
	q, _ := srv.requestsSince(off)
	res.UploadRequests = q.total()
	if res.ServerObjects, err = srv.countObjects(ctx); err != nil {
		return nil, err
	}
	logf("sync: uploaded in %s; the calendar holds %d objects", secs(res.Upload), res.ServerObjects)
	if res.ServerObjects != len(objs) {
		return nil, fmt.Errorf("upload: the calendar holds %d objects, want %d", res.ServerObjects, len(objs))
	}

	env := append(cleanEnv(), "BENCH_CALDAV_PASSWORD="+srv.Pass, "HOME="+dir)
	measure := func(step string, workdir string, name string, args ...string) (toolRun, error) {
		off := srv.logOffset()
		m, err := run(ctx, workdir, env, name, args...)
		if err != nil {
			return toolRun{}, fmt.Errorf("%s: %w", step, err)
		}
		q, err := srv.requestsSince(off)
		if err != nil {
			return toolRun{}, err
		}
		return toolRun{measured: m, Requests: q}, nil
	}

	vdir := func(rep int) (d, first, second toolRun, files int, err error) {
		vd := filepath.Join(dir, fmt.Sprintf("vdirsyncer-%d", rep))
		if err = os.RemoveAll(vd); err != nil {
			return
		}
		local := filepath.Join(vd, "local")
		if err = os.MkdirAll(local, 0o700); err != nil {
			return
		}
		cfg := filepath.Join(vd, "config")
		text := fmt.Sprintf(`[general]
status_path = %q

[pair bench]
a = "bench_remote"
b = "bench_local"
collections = null
conflict_resolution = "a wins"

[storage bench_remote]
type = "caldav"
url = %q
username = %q
password = %q

[storage bench_local]
type = "filesystem"
path = %q
fileext = ".ics"
`, filepath.Join(vd, "status")+"/", srv.URL+srv.CalendarPath, srv.User, srv.Pass, local+"/")
		if err = os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			return
		}
		if d, err = measure("vdirsyncer discover", vd, "vdirsyncer", "-c", cfg, "discover"); err != nil {
			return
		}
		if first, err = measure("vdirsyncer sync (first)", vd, "vdirsyncer", "-c", cfg, "sync"); err != nil {
			return
		}
		if second, err = measure("vdirsyncer sync (second)", vd, "vdirsyncer", "-c", cfg, "sync"); err != nil {
			return
		}
		files, err = countFiles(local, ".ics")
		return
	}

	one := func(rep int) (first, second toolRun, err error) {
		od := filepath.Join(dir, fmt.Sprintf("oneonone-%d", rep))
		if err = os.RemoveAll(od); err != nil {
			return
		}
		if err = os.MkdirAll(od, 0o700); err != nil {
			return
		}
		cfg := filepath.Join(od, "config.toml")
		// identity.me is Anna, who organizes none of the events: her 1:1s
		// are recognised and classified, and no agenda block is written.
		text := fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"
log_level = "warn"

[identity]
me = [%q]

[[source]]
name = "bench"
kind = "caldav"
url = %q
username = %q
password_env = "BENCH_CALDAV_PASSWORD"
calendars = [%q]
`, filepath.Join(od, "state.db"), me, srv.URL+"/", srv.User, srv.CalendarPath)
		if err = os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			return
		}
		if first, err = measure("oneonone sync (first)", od, o.Oneonone, "sync", "--config", cfg); err != nil {
			return
		}
		second, err = measure("oneonone sync (second)", od, o.Oneonone, "sync", "--config", cfg)
		return
	}

	// One untimed round of each warms the page cache and Radicale's own
	// item cache, so that the first timed tool is not the one that pays.
	logf("sync: warm-up round (not counted)")
	if _, _, _, _, err := vdir(0); err != nil {
		return nil, err
	}
	if _, _, err := one(0); err != nil {
		return nil, err
	}
	res.LoadBefore = loadAvg()
	for rep := 1; rep <= o.Reps; rep++ {
		var r syncRep
		doVdir := func() error {
			var err error
			r.VdirDiscover, r.VdirFirst, r.VdirSecond, res.VdirFiles, err = vdir(rep)
			return err
		}
		doOne := func() error {
			var err error
			r.OneFirst, r.OneSecond, err = one(rep)
			return err
		}
		order := []func() error{doVdir, doOne}
		if rep%2 == 0 {
			order = []func() error{doOne, doVdir}
		}
		for _, f := range order {
			if err := f(); err != nil {
				return nil, err
			}
		}
		res.OneSummary = strings.TrimSpace(string(r.OneFirst.Stdout))
		res.OneSecondSummary = strings.TrimSpace(string(r.OneSecond.Stdout))
		logf("sync: repetition %d/%d: vdirsyncer discover %s + sync %s, again %s; oneonone sync %s, again %s",
			rep, o.Reps, secs(r.VdirDiscover.Wall), secs(r.VdirFirst.Wall), secs(r.VdirSecond.Wall), secs(r.OneFirst.Wall), secs(r.OneSecond.Wall))
		res.Reps = append(res.Reps, r)
	}
	res.LoadAfter = loadAvg()
	return res, nil
}

func countFiles(dir, ext string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			n++
		}
	}
	return n, nil
}

// printSync writes the sync tables in Markdown.
func printSync(w io.Writer, r *syncResult) {
	pick := func(f func(syncRep) toolRun) (wall, cpu, server, client []time.Duration, rss []int64, req []int64, reqLast requests) {
		for _, rep := range r.Reps {
			t := f(rep)
			wall = append(wall, t.Wall)
			cpu = append(cpu, t.CPU)
			server = append(server, t.Requests.serverTime())
			client = append(client, t.Wall-t.Requests.serverTime())
			rss = append(rss, t.MaxRSSKB)
			req = append(req, int64(t.Requests.total()))
			reqLast = t.Requests
		}
		return
	}
	type row struct {
		name string
		f    func(syncRep) toolRun
	}
	rows := []row{
		{"vdirsyncer discover", func(s syncRep) toolRun { return s.VdirDiscover }},
		{"vdirsyncer sync, first", func(s syncRep) toolRun { return s.VdirFirst }},
		{"vdirsyncer sync, second (no change)", func(s syncRep) toolRun { return s.VdirSecond }},
		{"oneonone sync, first", func(s syncRep) toolRun { return s.OneFirst }},
		{"oneonone sync, second (no change)", func(s syncRep) toolRun { return s.OneSecond }},
	}
	m := r.Mix
	fmt.Fprintf(w, "### Sync: %d calendar objects from Radicale on 127.0.0.1\n\n", m.Objects)
	fmt.Fprintf(w, "Calendar: %d objects, %d VEVENTs, %.1f MB: %d recurring 1:1 series (%d overrides, %d EXDATEs in all series), %d recurring team meetings, %d one-off meetings (%d all-day, %d cancelled). %s\n\n",
		m.Objects, m.VEvents, float64(m.Bytes)/1e6, m.OneOnOnes, m.Overrides, m.ExDates, m.TeamSeries, m.OneOffs, m.AllDay, m.Cancelled, uploadLine(r))
	fmt.Fprintf(w, "%d repetitions after one untimed warm-up round, fresh state each (the tool that goes first alternates); median, with [min–max] of wall time. Load average (1, 5, 15 min) before: %s; after: %s (nproc %d).\n\n", len(r.Reps), r.LoadBefore, r.LoadAfter, runtime.NumCPU())
	fmt.Fprintln(w, "| step | wall (median) | [min–max] | Radicale's time answering | wall − Radicale's time | client CPU | client max RSS | requests to Radicale |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
	med, side, cpus := map[string]time.Duration{}, map[string]time.Duration{}, map[string]time.Duration{}
	for _, rw := range rows {
		wall, cpu, server, client, rss, req, last := pick(rw.f)
		lo, hi := minMax(wall)
		med[rw.name], side[rw.name], cpus[rw.name] = median(wall), median(client), median(cpu)
		reqs := last.String()
		if lo, hi := minMaxInt(req); lo != hi {
			reqs = fmt.Sprintf("%d–%d; last: %s", lo, hi, last)
		}
		fmt.Fprintf(w, "| %s | %s | [%s–%s] | %s | %s | %s | %.0f MB | %s |\n", rw.name, secs(median(wall)), secs(lo), secs(hi), secs(median(server)), secs(median(client)), secs(median(cpu)), float64(medianInt(rss))/1024, reqs)
	}
	vFirst := med["vdirsyncer discover"] + med["vdirsyncer sync, first"]
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| ratio oneonone / vdirsyncer (median wall) | |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| first sync, against vdirsyncer discover + sync (%s) | %s |\n", secs(vFirst), ratio(med["oneonone sync, first"], vFirst))
	fmt.Fprintf(w, "| first sync, against vdirsyncer sync alone | %s |\n", ratio(med["oneonone sync, first"], med["vdirsyncer sync, first"]))
	fmt.Fprintf(w, "| second, no-change sync | %s |\n", ratio(med["oneonone sync, second (no change)"], med["vdirsyncer sync, second (no change)"]))
	fmt.Fprintf(w, "| first sync, client side only (wall − Radicale's time), against vdirsyncer discover + sync | %s |\n", ratio(side["oneonone sync, first"], side["vdirsyncer discover"]+side["vdirsyncer sync, first"]))
	fmt.Fprintf(w, "| second sync, client side only | %s |\n", ratio(side["oneonone sync, second (no change)"], side["vdirsyncer sync, second (no change)"]))
	fmt.Fprintln(w)
	// A no-change sync is where oneonone must cost what nothing changed
	// costs (docs/PERFORMANCE.md, "A quiet cycle": at most 0.1× here).
	noChange := ratio(cpus["oneonone sync, second (no change)"], cpus["vdirsyncer sync, second (no change)"])
	fmt.Fprintln(w, "| ratio oneonone / vdirsyncer (median client CPU) | | aim |")
	fmt.Fprintln(w, "|---|---:|---:|")
	fmt.Fprintf(w, "| first sync, against vdirsyncer discover + sync | %s | |\n", ratio(cpus["oneonone sync, first"], cpus["vdirsyncer discover"]+cpus["vdirsyncer sync, first"]))
	fmt.Fprintf(w, "| second, no-change sync | %s | ≤ 0.10 |\n", noChange)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "vdirsyncer wrote %d .ics files. oneonone's own summary of a first sync: `%s`; of a second: `%s`.\n\n", r.VdirFiles, r.OneSummary, r.OneSecondSummary)
}

func uploadLine(r *syncResult) string {
	if r.UploadMode == "each" {
		return fmt.Sprintf("Uploaded with %d PUTs (one per object) in %s; the calendar then held %d objects.", r.UploadRequests, secs(r.Upload), r.ServerObjects)
	}
	return fmt.Sprintf("Uploaded with one PUT of the whole calendar (Radicale stores one object per UID) in %s; the calendar then held %d objects.", secs(r.Upload), r.ServerObjects)
}

func minMaxInt(xs []int64) (int64, int64) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}
