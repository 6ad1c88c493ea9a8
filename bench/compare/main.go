// Command compare measures oneonone against two reference tools and prints
// the tables of docs/COMPARISON.md (run it with `make compare`):
//
//   - sync: vdirsyncer and `oneonone sync` pulling the same generated
//     calendar of 5,000 objects from a Radicale server on 127.0.0.1, first
//     sync and second, no-change sync, in several repetitions;
//   - expand: python3-recurring-ical-events and `oneonone inspect` expanding
//     every .ics file of the corpus over one window, timed side by side, and
//     compared occurrence by occurrence, with the upstream assertions of
//     corpus/ics/EXPECTATIONS.md checked against both.
//
// It reports differences and never fails on them: the exit status is
// non-zero only when a tool cannot be run at all.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	what := flag.String("what", "sync,expand", "comparisons to run: sync, expand, or both")
	events := flag.Int("events", 5000, "calendar objects to generate for the sync comparison")
	syncReps := flag.Int("sync-reps", 5, "repetitions of the sync comparison")
	upload := flag.String("upload", "each", "how the calendar is uploaded: collection (one PUT of the whole calendar) or each (one PUT per object; slow on Radicale)")
	expandReps := flag.Int("expand-reps", 3, "repetitions of the expansion timing")
	corpus := flag.String("corpus", "", "directory of .ics files (default: $ONEONONE_CORPUS/ics, else ../shared/corpus/ics)")
	from := flag.String("from", "1990-01-01", "expansion window start (UTC date)")
	to := flag.String("to", "2030-01-01", "expansion window end, exclusive (UTC date)")
	python := flag.String("python", "", "python3 with recurring_ical_events (default: /usr/bin/python3, else python3 on PATH)")
	bin := flag.String("oneonone", "", "oneonone binary (default: go build ./cmd/oneonone into the work directory)")
	keep := flag.Bool("keep", false, "keep the work directory")
	details := flag.Int("details", 6, "differing occurrences listed per file and side")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	work, err := os.MkdirTemp("", "oneonone-compare-")
	if err != nil {
		return err
	}
	if *keep {
		logf("work directory %s kept", work)
	} else {
		defer os.RemoveAll(work)
	}

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	given := new(bool)
	*given = *bin != ""
	if *bin == "" {
		*bin = filepath.Join(work, "oneonone")
		logf("building oneonone: go build -o %s ./cmd/oneonone", *bin)
		if _, err := run(ctx, root, nil, "go", "build", "-o", *bin, "./cmd/oneonone"); err != nil {
			return err
		}
	}

	out := os.Stdout
	fmt.Fprintf(out, "## Measured %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	printMachine(ctx, out, *python)
	if *given {
		fmt.Fprintf(out, "oneonone: the binary %s (given with -oneonone).\n\n", *bin)
	} else {
		fmt.Fprintf(out, "oneonone: built from this working tree, %s.\n\n", treeState(ctx, root))
	}

	for _, w := range strings.Split(*what, ",") {
		switch strings.TrimSpace(w) {
		case "sync":
			res, err := runSyncComparison(ctx, syncOpts{Events: *events, Reps: *syncReps, Oneonone: *bin, WorkDir: work, Upload: *upload})
			if err != nil {
				return fmt.Errorf("sync comparison: %w", err)
			}
			printSync(out, res)
		case "expand":
			dir := *corpus
			if dir == "" {
				dir = defaultCorpus(root)
			}
			if dir == "" {
				fmt.Fprintln(out, "### Expansion\n\nNo corpus found (set ONEONONE_CORPUS or -corpus): expansion comparison skipped.")
				continue
			}
			py, err := findPython(ctx, *python)
			if err != nil {
				return err
			}
			res, err := runExpandComparison(ctx, expandOpts{
				Corpus: dir, From: *from, To: *to, Reps: *expandReps,
				Oneonone: *bin, Python: py, Script: filepath.Join(root, "bench", "compare", "rie_expand.py"),
			})
			if err != nil {
				return fmt.Errorf("expansion comparison: %w", err)
			}
			printExpand(out, res, *details)
		case "":
		default:
			return fmt.Errorf("-what: unknown comparison %q (want sync, expand)", w)
		}
	}
	return nil
}

// moduleRoot is the directory of go.mod (the command runs from the repository).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from the oneonone repository (no go.mod found)")
	}
	return filepath.Dir(gomod), nil
}

func defaultCorpus(root string) string {
	cands := []string{}
	if c := os.Getenv("ONEONONE_CORPUS"); c != "" {
		cands = append(cands, filepath.Join(c, "ics"))
	}
	cands = append(cands, filepath.Join(root, "..", "shared", "corpus", "ics"))
	for _, c := range cands {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			abs, _ := filepath.Abs(c)
			return abs
		}
	}
	return ""
}

// treeState names the commit and whether the tree has uncommitted changes.
func treeState(ctx context.Context, root string) string {
	m, err := run(ctx, root, nil, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "commit unknown (not a git checkout)"
	}
	state := "commit " + strings.TrimSpace(string(m.Stdout))
	if m, err := run(ctx, root, nil, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(bytes.TrimSpace(m.Stdout)) > 0 {
		state += " with uncommitted changes"
	}
	return state
}

// findPython returns a python3 that imports recurring_ical_events. The
// Debian package installs it for /usr/bin/python3, which a pyenv or venv
// python3 earlier on PATH does not see.
func findPython(ctx context.Context, want string) (string, error) {
	cands := []string{want}
	if want == "" {
		cands = []string{"/usr/bin/python3", "python3"}
	}
	for _, c := range cands {
		if _, err := run(ctx, "", nil, c, "-c", "import recurring_ical_events"); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("no python3 imports recurring_ical_events (tried %s): run scripts/install-compare-deps.sh", strings.Join(cands, ", "))
}

// printMachine writes what the figures were measured on.
func printMachine(ctx context.Context, w *os.File, python string) {
	version := func(name string, args ...string) string {
		m, err := run(ctx, "", nil, name, args...)
		if err != nil {
			return "not found"
		}
		return strings.TrimSpace(strings.SplitN(string(m.Stdout)+string(m.Stderr), "\n", 2)[0])
	}
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	py, err := findPython(ctx, python)
	rie, ical, pyv := "not found", "not found", "not found"
	if err == nil {
		pyv = version(py, "--version")
		rie = pkgVersion(ctx, py, "recurring_ical_events", "recurring-ical-events")
		ical = pkgVersion(ctx, py, "icalendar", "icalendar")
	}
	fmt.Fprintln(w, "| machine | |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| CPU | %s, nproc %d |\n", cpu, runtime.NumCPU())
	fmt.Fprintf(w, "| Go | %s |\n", version("go", "version"))
	fmt.Fprintf(w, "| vdirsyncer | %s |\n", version("vdirsyncer", "--version"))
	fmt.Fprintf(w, "| Radicale | %s |\n", version("radicale", "--version"))
	fmt.Fprintf(w, "| Python | %s (%s) |\n", pyv, py)
	fmt.Fprintf(w, "| recurring_ical_events | %s (icalendar %s) |\n", rie, ical)
	fmt.Fprintln(w)
}

// pkgVersion asks the installed distribution's version (the module of
// recurring_ical_events 2.0.1 has no __version__).
func pkgVersion(ctx context.Context, py, module, dist string) string {
	m, err := run(ctx, "", nil, py, "-c", fmt.Sprintf(
		"import importlib.metadata as m\ntry:\n print(m.version(%q))\nexcept Exception:\n import %s; print(getattr(%s, '__version__', '?'))", dist, module, module))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(m.Stdout))
}
