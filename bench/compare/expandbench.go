package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

type expandOpts struct {
	Corpus, From, To string
	Reps             int
	Oneonone         string
	Python, Script   string
}

// nobody is the --me given to inspect: no event of the corpus is then a
// 1:1 of "me", so no cancelled slot is made up by a one-off meeting and
// no occurrence is "declined" for being declined by one of a pair. No
// event is tracked, so inspect lists every instance without a state, and
// says which are cancelled.
const nobody = "nobody@compare.invalid"

// Kinds of time values, after normalisation.
const (
	kindZoned    = "zoned"    // an instant (UTC or a resolved zone)
	kindFloating = "floating" // a local time read as UTC wall clock
	kindDate     = "date"     // a DATE, as midnight UTC
)

// occ is one occurrence, normalised: instants in UTC, floating times and
// dates at their wall clock in UTC.
type occ struct {
	UID         string
	Orig, Start time.Time
	End         time.Time
	HasEnd      bool
	Kind        string // of Start
	EndKind     string
	// Cancelled: python: STATUS:CANCELLED; oneonone: state skipped.
	Cancelled bool
	// Exdated: oneonone only: cancelled by EXDATE rather than by an
	// override's (or the event's own) STATUS:CANCELLED.
	Exdated bool
	Summary string
}

func (o occ) key() string {
	return o.UID + " | " + o.Orig.UTC().Format(time.RFC3339) + " | " + o.Start.UTC().Format(time.RFC3339)
}

func (o occ) slot() string { return o.UID + " | " + o.Orig.UTC().Format(time.RFC3339) }

// normalise puts oneonone's times the way the script writes python's: a
// DATE (an all-day occurrence: oneonone holds it as a midnight in the
// calendar's X-WR-TIMEZONE, else in --tz) at its wall clock in UTC, every
// other time as its instant in UTC.
func (o occ) normalise() occ {
	f := func(t time.Time) time.Time { return t.UTC() }
	if o.Kind == kindDate {
		f = wallUTC
	}
	o.EndKind = o.Kind
	o.Orig, o.Start = f(o.Orig), f(o.Start)
	if o.HasEnd {
		o.End = f(o.End)
	}
	return o
}

func (o occ) String() string {
	s := fmt.Sprintf("%s %s", o.UID, fmtT(o.Start, o.Kind))
	if !o.Orig.Equal(o.Start) {
		s = fmt.Sprintf("%s %s (slot %s)", o.UID, fmtT(o.Start, o.Kind), fmtT(o.Orig, o.Kind))
	}
	if o.HasEnd {
		s += " – " + fmtT(o.End, o.Kind)
	}
	if o.Cancelled {
		if o.Exdated {
			s += " [EXDATE]"
		} else {
			s += " [cancelled]"
		}
	}
	return s
}

func fmtT(t time.Time, kind string) string {
	switch kind {
	case kindDate:
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format("2006-01-02")
		}
	case kindFloating:
		return t.Format("2006-01-02T15:04:05") + " (floating)"
	}
	return t.Format("2006-01-02T15:04:05Z")
}

// fileResult is the comparison of one file.
type fileResult struct {
	Rel, Path   string
	PyErr       string
	OneErr      string
	OneProblems []string
	Py, One     []occ
	LibMismatch []string // inspect and the library disagree (should not happen)

	OnlyPy, OnlyOne []occ // live occurrences one side has and the other not
	// PyCancelledNotSkipped: cancelled by python (STATUS:CANCELLED) and not
	// skipped by oneonone.
	PyCancelledNotSkipped []occ
	ExdatedByOne          int // oneonone slots cancelled by EXDATE: python drops them
	EndPairs              int
	EndDiffs              [][2]occ
}

func (f *fileResult) verdict() string {
	switch {
	case f.OneErr != "" && f.PyErr != "":
		return "both fail"
	case f.OneErr != "":
		return "oneonone fails"
	case f.PyErr != "":
		return "python fails"
	case len(f.OnlyPy)+len(f.OnlyOne)+len(f.PyCancelledNotSkipped) > 0:
		return "differ"
	case len(f.EndDiffs) > 0:
		return "ends differ"
	}
	return "agree"
}

type timing struct {
	LoadBefore, LoadAfter string
	OnePerFile, PyPerFile []time.Duration // whole corpus, one process per file
	LibInProc, PyOneProc  []time.Duration // whole corpus, one process
	PyImport              time.Duration   // python3 start + imports, no file
}

type expandResult struct {
	Opts     expandOpts
	From, To time.Time
	Files    []*fileResult
	Timing   timing
	Checks   []checkResult
}

// runExpandComparison expands every .ics under the corpus with both tools,
// times them, and compares what they return.
func runExpandComparison(ctx context.Context, o expandOpts) (*expandResult, error) {
	from, err := time.ParseInLocation("2006-01-02", o.From, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("-from: %w", err)
	}
	to, err := time.ParseInLocation("2006-01-02", o.To, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("-to: %w", err)
	}
	var files []string
	err = filepath.WalkDir(o.Corpus, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".ics") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .ics files under %s", o.Corpus)
	}
	sort.Strings(files)
	logf("expand: %d files under %s, window %s to %s", len(files), o.Corpus, o.From, o.To)
	res := &expandResult{Opts: o, From: from, To: to}
	env := cleanEnv()

	inspectArgs := func(f string) []string {
		return []string{"inspect", f, "--from", o.From, "--to", o.To, "--tz", "UTC", "--me", nobody, "--format", "json"}
	}
	oneOut := make([][]byte, len(files))
	oneErr := make([]string, len(files))
	pyOut := make([][]byte, len(files))
	onePerFile := func(keep bool) (time.Duration, error) {
		t0 := time.Now()
		for i, f := range files {
			m, err := run(ctx, o.Corpus, env, o.Oneonone, inspectArgs(f)...)
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if keep {
				oneOut[i] = m.Stdout
				if err != nil {
					oneErr[i] = strings.TrimSpace(string(m.Stderr))
				}
			}
		}
		return time.Since(t0), nil
	}
	pyArgs := func(fs ...string) []string {
		return append([]string{o.Script, "--from", o.From, "--to", o.To}, fs...)
	}
	pyPerFile := func(keep bool) (time.Duration, error) {
		t0 := time.Now()
		for i, f := range files {
			m, err := run(ctx, o.Corpus, env, o.Python, pyArgs(f)...)
			if err != nil {
				return 0, err // the script reports a file's failure in its output; this is the script failing
			}
			if keep {
				pyOut[i] = m.Stdout
			}
		}
		return time.Since(t0), nil
	}
	var pyWhole []byte
	pyOneProc := func(keep bool) (time.Duration, error) {
		m, err := run(ctx, o.Corpus, env, o.Python, pyArgs(files...)...)
		if err != nil {
			return 0, err
		}
		if keep {
			pyWhole = m.Stdout
		}
		return m.Wall, nil
	}
	var lib [][]occ
	libInProc := func(keep bool) (time.Duration, error) {
		t0 := time.Now()
		all := make([][]occ, len(files))
		for i, f := range files {
			all[i] = libExpand(f, from, to)
		}
		d := time.Since(t0)
		if keep {
			lib = all
		}
		return d, nil
	}

	if m, err := run(ctx, o.Corpus, env, o.Python, pyArgs()...); err == nil {
		res.Timing.PyImport = m.Wall
	}
	res.Timing.LoadBefore = loadAvg()
	for rep := 1; rep <= o.Reps; rep++ {
		keep := rep == 1
		steps := []struct {
			name string
			f    func(bool) (time.Duration, error)
			dst  *[]time.Duration
		}{
			{"oneonone inspect, one process per file", onePerFile, &res.Timing.OnePerFile},
			{"python, one process per file", pyPerFile, &res.Timing.PyPerFile},
			{"oneonone library, in process", libInProc, &res.Timing.LibInProc},
			{"python, one process for all files", pyOneProc, &res.Timing.PyOneProc},
		}
		if rep%2 == 0 { // alternate who goes first
			steps[0], steps[1] = steps[1], steps[0]
			steps[2], steps[3] = steps[3], steps[2]
		}
		var parts []string
		for _, s := range steps {
			d, err := s.f(keep)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
			*s.dst = append(*s.dst, d)
			parts = append(parts, fmt.Sprintf("%s %s", s.name, secs(d)))
		}
		logf("expand: repetition %d/%d: %s", rep, o.Reps, strings.Join(parts, "; "))
	}
	res.Timing.LoadAfter = loadAvg()

	// The one-process python run must say what the per-file runs said.
	whole := map[string]string{}
	for _, l := range bytes.Split(bytes.TrimSpace(pyWhole), []byte("\n")) {
		var r pyRecord
		if json.Unmarshal(l, &r) == nil {
			r.Seconds = 0
			b, _ := json.Marshal(r)
			whole[r.File] = string(b)
		}
	}

	for i, f := range files {
		rel, _ := filepath.Rel(o.Corpus, f)
		fr := &fileResult{Rel: rel, Path: f}
		var pr pyRecord
		if err := json.Unmarshal(bytes.TrimSpace(pyOut[i]), &pr); err != nil {
			fr.PyErr = "no output: " + err.Error()
		} else {
			if pr.Error != nil {
				fr.PyErr = *pr.Error
			}
			fr.Py = pr.occs(f)
			pr.Seconds = 0
			b, _ := json.Marshal(pr)
			if whole[f] != string(b) {
				fr.LibMismatch = append(fr.LibMismatch, "python: the one-process run differs from the per-file run")
			}
		}
		if oneErr[i] != "" {
			fr.OneErr = oneErr[i]
		} else {
			var ir inspectRecord
			if err := json.Unmarshal(oneOut[i], &ir); err != nil {
				fr.OneErr = "unreadable inspect output: " + err.Error()
			} else {
				fr.OneProblems = ir.Problems
				fr.One, fr.LibMismatch = merge(ir.occs(f), lib[i], fr.LibMismatch)
			}
		}
		fr.compare(from, to)
		res.Files = append(res.Files, fr)
	}
	res.Checks = runChecks(res.Files, from, to)
	return res, nil
}

// cleanEnv is the environment without ONEONONE_* variables, which would
// override what the comparison sets (ONEONONE_CONFIG makes inspect read a
// config; ONEONONE_STATE moves the state file).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONEONONE_") {
			env = append(env, kv)
		}
	}
	return env
}

// pyRecord is one line of rie_expand.py.
type pyRecord struct {
	File    string  `json:"file"`
	Error   *string `json:"error"`
	Seconds float64 `json:"seconds"`
	Occ     [][]any `json:"occ"`
}

func (r pyRecord) occs(file string) []occ {
	var out []occ
	for _, row := range r.Occ {
		if len(row) < 5 {
			continue
		}
		uid, _ := row[0].(string)
		orig, _, _ := parsePy(row[1])
		start, kind, _ := parsePy(row[2])
		end, endKind, hasEnd := parsePy(row[3])
		c, _ := row[4].(bool)
		out = append(out, occ{UID: uid, Orig: orig, Start: start, End: end, HasEnd: hasEnd, Kind: kind, EndKind: endKind, Cancelled: c})
	}
	return out
}

// parsePy reads a time the script wrote: "2006-01-02", "…Z" (an
// instant), "…" without Z (floating, also a TZID the library could not
// resolve), or null.
func parsePy(v any) (time.Time, string, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, "", false
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, kindDate, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05Z", s); err == nil {
		return t, kindZoned, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, kindFloating, true
	}
	return time.Time{}, "", false
}

// inspectRecord is `oneonone inspect --format json`.
type inspectRecord struct {
	Events []struct {
		UID         string `json:"uid"`
		Summary     string `json:"summary"`
		Occurrences []struct {
			OriginalStart string `json:"original_start"`
			Start         string `json:"start"`
			State         string `json:"state"`
			Cancelled     bool   `json:"cancelled"`
		} `json:"occurrences"`
	} `json:"events"`
	Problems []string `json:"problems"`
}

func (r inspectRecord) occs(file string) []occ {
	var out []occ
	for _, ev := range r.Events {
		for _, o := range ev.Occurrences {
			orig, _ := time.Parse(time.RFC3339, o.OriginalStart)
			start, _ := time.Parse(time.RFC3339, o.Start)
			out = append(out, occ{UID: normUID(ev.UID, file), Orig: orig, Start: start, Cancelled: o.Cancelled || o.State == string(calendar.StateSkipped), Summary: ev.Summary})
		}
	}
	return out
}

// normUID turns the name oneonone gives an event without UID, FILE#N,
// into the script's #N.
func normUID(uid, file string) string {
	if strings.HasPrefix(uid, file+"#") {
		return uid[len(file):]
	}
	return uid
}

// libExpand does in process what inspect does (Parse, GroupEvents,
// Expand), and keeps what inspect does not print: the end, whether a time
// is floating or a date, and why a slot is cancelled.
// Problems are what inspect prints; they are not kept here.
func libExpand(file string, from, to time.Time) []occ {
	return libExpandIn(file, from, to, time.UTC)
}

// libExpandIn is libExpand with floating times and dates read in zone, as
// a source configured with that timezone reads them.
func libExpandIn(file string, from, to time.Time, zone *time.Location) []occ {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	events, _ := ical.Parse(data, ical.ParseOptions{Href: file, DefaultZone: zone})
	var out []occ
	for _, g := range recur.GroupEvents(events) {
		inst, _ := recur.Expand(g, from, to, recur.ExpandOptions{})
		for _, in := range inst {
			kind := kindZoned
			if ev := in.Event; ev != nil && ev.AllDay {
				kind = kindDate
			} else if ev != nil && ev.Floating {
				kind = kindFloating
			}
			statusCancelled := in.Event != nil && in.Event.Cancelled()
			out = append(out, occ{
				UID: normUID(g.UID, file), Orig: in.OriginalStart, Start: in.Start,
				End: in.End, HasEnd: true, Kind: kind,
				Cancelled: in.Cancelled, Exdated: in.Cancelled && !statusCancelled,
			})
		}
	}
	return out
}

// merge takes inspect's occurrences and adds, from the library's run over
// the same file, the end, the kind and the EXDATE flag. Any occurrence one
// has and the other not is reported.
func merge(ins, lib []occ, problems []string) ([]occ, []string) {
	byKey := map[string][]occ{}
	for _, o := range lib {
		byKey[o.key()] = append(byKey[o.key()], o)
	}
	out := make([]occ, 0, len(ins))
	for _, o := range ins {
		l := byKey[o.key()]
		if len(l) == 0 {
			problems = append(problems, "inspect lists "+o.String()+", the library not")
			out = append(out, o.normalise())
			continue
		}
		m := l[0]
		byKey[o.key()] = l[1:]
		if m.Cancelled != o.Cancelled {
			problems = append(problems, "inspect and the library disagree on whether "+o.String()+" is cancelled")
		}
		m.Summary = o.Summary
		out = append(out, m.normalise())
	}
	for _, l := range byKey {
		for _, o := range l {
			problems = append(problems, "the library lists "+o.String()+", inspect not")
		}
	}
	return out, problems
}

// compare fills the differences. Both sides are cut to occurrences whose
// actual start is in [from, to): the window rules differ at the edges
// (python: overlapping; inspect: original or actual start inside).
// Python drops EXDATE slots and keeps STATUS:CANCELLED ones; inspect keeps
// both, as skipped. So live occurrences (not cancelled) are compared as
// multisets of (UID, original start, start); python's cancelled ones must
// be skipped in oneonone; oneonone's EXDATE slots are only counted.
func (f *fileResult) compare(from, to time.Time) {
	in := func(l []occ) []occ {
		var out []occ
		for _, o := range l {
			if !o.Start.Before(from) && o.Start.Before(to) {
				out = append(out, o)
			}
		}
		return out
	}
	f.Py, f.One = in(f.Py), in(f.One)
	if f.PyErr != "" || f.OneErr != "" {
		return
	}
	live := func(l []occ) map[string][]occ {
		m := map[string][]occ{}
		for _, o := range l {
			if !o.Cancelled {
				m[o.key()] = append(m[o.key()], o)
			}
		}
		return m
	}
	py, one := live(f.Py), live(f.One)
	for k, ps := range py {
		ones := one[k]
		for i, p := range ps {
			if i >= len(ones) {
				f.OnlyPy = append(f.OnlyPy, p)
				continue
			}
			f.EndPairs++
			if p.HasEnd && !p.End.Equal(ones[i].End) {
				f.EndDiffs = append(f.EndDiffs, [2]occ{p, ones[i]})
			}
		}
	}
	for k, ones := range one {
		for i := len(py[k]); i < len(ones); i++ {
			f.OnlyOne = append(f.OnlyOne, ones[i])
		}
	}
	skipped := map[string]bool{}
	for _, o := range f.One {
		if o.Cancelled {
			skipped[o.slot()] = true
			if o.Exdated {
				f.ExdatedByOne++
			}
		}
	}
	for _, p := range f.Py {
		if p.Cancelled && !skipped[p.slot()] {
			f.PyCancelledNotSkipped = append(f.PyCancelledNotSkipped, p)
		}
	}
	byTime := func(l []occ) {
		sort.Slice(l, func(i, j int) bool {
			if !l[i].Orig.Equal(l[j].Orig) {
				return l[i].Orig.Before(l[j].Orig)
			}
			return l[i].UID < l[j].UID
		})
	}
	byTime(f.OnlyPy)
	byTime(f.OnlyOne)
	byTime(f.PyCancelledNotSkipped)
	sort.Slice(f.EndDiffs, func(i, j int) bool { return f.EndDiffs[i][0].Orig.Before(f.EndDiffs[j][0].Orig) })
}

func count(l []occ) (live, cancelled int) {
	for _, o := range l {
		if o.Cancelled {
			cancelled++
		} else {
			live++
		}
	}
	return
}

// printExpand writes the expansion tables in Markdown.
func printExpand(w io.Writer, r *expandResult, details int) {
	t := r.Timing
	n := len(r.Files)
	fmt.Fprintf(w, "### Expansion: %d .ics files of the corpus, window [%s, %s) UTC\n\n", n, r.Opts.From, r.Opts.To)
	fmt.Fprintf(w, "%d repetitions, alternating which tool goes first; median, with [min–max]. Load average (1, 5, 15 min) before: %s; after: %s.\n\n", len(t.OnePerFile), t.LoadBefore, t.LoadAfter)
	fmt.Fprintln(w, "| whole corpus | oneonone | python3-recurring-ical-events | ratio oneonone / python |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	row := func(name string, a, b []time.Duration) {
		alo, ahi := minMax(a)
		blo, bhi := minMax(b)
		fmt.Fprintf(w, "| %s | %s [%s–%s] | %s [%s–%s] | %s |\n", name, secs(median(a)), secs(alo), secs(ahi), secs(median(b)), secs(blo), secs(bhi), ratio(median(a), median(b)))
	}
	row(fmt.Sprintf("one process per file (%d × `oneonone inspect` / %d × `python3 rie_expand.py`)", n, n), t.OnePerFile, t.PyPerFile)
	row("one process for all files (oneonone: the same library calls in process; python: one `rie_expand.py` run)", t.LibInProc, t.PyOneProc)
	fmt.Fprintf(w, "\nPython's start and imports alone (`rie_expand.py` with no file): %s.\n\n", secs(t.PyImport))

	tally := map[string]int{}
	for _, f := range r.Files {
		tally[f.verdict()]++
	}
	var keys []string
	for k := range tally {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, tally[k]))
	}
	fmt.Fprintf(w, "#### Agreement per file: %s\n\n", strings.Join(parts, ", "))
	fmt.Fprintln(w, "Live = not cancelled. python cancelled = STATUS:CANCELLED events it returns; oneonone skipped = EXDATE slots and STATUS:CANCELLED overrides. Both cut to occurrences starting inside the window. \"only oneonone\" also counts what python returns cancelled and oneonone does not skip.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| file | python live (cancelled) | oneonone live (skipped) | only python | only oneonone | ends compared / differ | verdict |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|")
	for _, f := range r.Files {
		pl, pc := count(f.Py)
		ol, oc := count(f.One)
		py := fmt.Sprintf("%d (%d)", pl, pc)
		if f.PyErr != "" {
			py = "error"
		}
		one := fmt.Sprintf("%d (%d)", ol, oc)
		if f.OneErr != "" {
			one = "error"
		}
		v := f.verdict()
		if v != "agree" {
			v = "**" + v + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %d / %d | %s |\n", f.Rel, py, one, len(f.OnlyPy), len(f.OnlyOne)+len(f.PyCancelledNotSkipped), f.EndPairs, len(f.EndDiffs), v)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "#### Differences, file by file")
	fmt.Fprintln(w)
	for _, f := range r.Files {
		v := f.verdict()
		if v == "agree" && len(f.LibMismatch) == 0 {
			continue
		}
		fmt.Fprintf(w, "**%s**: %s\n\n", f.Rel, v)
		if f.PyErr != "" {
			fmt.Fprintf(w, "- python: `%s`\n", f.PyErr)
		}
		if f.OneErr != "" {
			fmt.Fprintf(w, "- oneonone: `%s`\n", f.OneErr)
		}
		list := func(title string, l []occ) {
			if len(l) == 0 {
				return
			}
			fmt.Fprintf(w, "- %s (%d):", title, len(l))
			for i, o := range l {
				if i == details {
					fmt.Fprintf(w, " …")
					break
				}
				fmt.Fprintf(w, " `%s`;", o)
			}
			fmt.Fprintln(w)
		}
		list("only python", f.OnlyPy)
		list("only oneonone", f.OnlyOne)
		list("cancelled by python, not skipped by oneonone", f.PyCancelledNotSkipped)
		if len(f.EndDiffs) > 0 {
			fmt.Fprintf(w, "- ends differ (%d of %d):", len(f.EndDiffs), f.EndPairs)
			for i, d := range f.EndDiffs {
				if i == details {
					fmt.Fprintf(w, " …")
					break
				}
				fmt.Fprintf(w, " `%s %s`: python %s, oneonone %s;", d[0].UID, fmtT(d[0].Start, d[1].Kind), fmtT(d[0].End, d[1].Kind), fmtT(d[1].End, d[1].Kind))
			}
			fmt.Fprintln(w)
		}
		if f.PyErr != "" && f.OneErr == "" {
			ol, oc := count(f.One)
			fmt.Fprintf(w, "- oneonone alone: %d live, %d skipped", ol, oc)
			if len(f.OneProblems) > 0 {
				fmt.Fprintf(w, "; its problems: %s", quoteList(f.OneProblems, 3))
			}
			fmt.Fprintln(w)
		}
		for _, m := range f.LibMismatch {
			fmt.Fprintf(w, "- harness: %s\n", m)
		}
		if note, ok := fileNotes[f.Rel]; ok {
			fmt.Fprintf(w, "- analysis: %s\n", note)
		}
		fmt.Fprintln(w)
	}
	printChecks(w, r.Checks)
}

func quoteList(l []string, n int) string {
	var parts []string
	for i, s := range l {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(l)-n))
			break
		}
		parts = append(parts, "`"+s+"`")
	}
	return strings.Join(parts, "; ")
}
