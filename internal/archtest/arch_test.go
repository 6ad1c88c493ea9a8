package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "oneonone"

// pkg is one package of the module as go list sees it.
type pkg struct {
	imports []string // the module's packages it imports directly
	deps    []string // the module's packages it depends on, transitively
}

// list runs go list over the module.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v %s", err, stderr)
	}
	own := func(l string) []string {
		var r []string
		for _, p := range strings.Fields(l) {
			if p == module || strings.HasPrefix(p, module+"/") {
				r = append(r, p)
			}
		}
		return r
	}
	pkgs := map[string]pkg{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", sc.Text())
		}
		pkgs[f[0]] = pkg{imports: own(f[1]), deps: own(f[2])}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

func under(p, dir string) bool {
	d := module + "/" + dir
	return p == d || strings.HasPrefix(p, d+"/")
}

// production reports whether p is part of the product: not the binary's
// wiring, not internal/ (fakes, demo, test helpers), not bench/.
func production(p string) bool {
	return !under(p, "cmd") && !under(p, "internal") && !under(p, "bench")
}

// layers are the product's packages from the bottom up: a package may
// import only packages of its own layer or below it (docs/ARCHITECTURE.md).
var layers = [][]string{
	{"calendar"},
	{"calendar/recur"},
	{"calendar/ical"},
	{"config", "history", "notify", "calendar/caldav", "calendar/google", "calendar/google/oauth"},
	{"agenda", "report", "store"},
	{"report/email", "sync", "nudge", "remind", "wayback"},
	{"web"},
}

func layerOf(p string) int {
	for i, l := range layers {
		for _, d := range l {
			if p == module+"/"+d {
				return i
			}
		}
	}
	return -1
}

func TestArrows(t *testing.T) {
	pkgs := list(t)
	for p, info := range pkgs {
		if production(p) {
			if layerOf(p) < 0 {
				t.Errorf("%s is in no layer: place it in layers (and in docs/ARCHITECTURE.md)", p)
			}
			for _, d := range info.deps {
				if under(d, "internal") || under(d, "bench") {
					t.Errorf("production package %s depends on %s", p, d)
				}
			}
			for _, imp := range info.imports {
				if li := layerOf(imp); li > layerOf(p) {
					t.Errorf("%s imports %s, a layer above it", p, imp)
				}
			}
		}
		for _, imp := range info.imports {
			if under(imp, "cmd") {
				t.Errorf("%s imports %s: nothing imports cmd", p, imp)
			}
			// The binary runs two internal packages: the demo (which alone
			// reaches a fake, its embedded CalDAV server) and sdnotify.
			if under(p, "cmd") && under(imp, "internal") && imp != module+"/internal/demo" && imp != module+"/internal/sdnotify" {
				t.Errorf("%s imports %s: the binary imports only internal/demo and internal/sdnotify", p, imp)
			}
		}
	}
	for _, c := range []struct{ pkg, not string }{
		{"calendar", "calendar/"}, // the model imports none of its subpackages
		{"calendar/recur", "calendar/ical"},
		{"calendar/google", "calendar/ical"}, // Google builds calendar.Event itself
		{"history", "store"},
		{"history", "sync"},
		{"history", "calendar/ical"},
		{"notify", ""}, // notify imports nothing of the module: only the standard library
	} {
		for _, d := range pkgs[module+"/"+c.pkg].deps {
			if strings.HasPrefix(d, module+"/"+c.not) {
				t.Errorf("%s depends on %s", c.pkg, d)
			}
		}
	}
}

// history is pure: it computes, and reads and writes nothing. Neither it
// nor a package of the module it depends on imports what does I/O.
func TestHistoryIsPure(t *testing.T) {
	pkgs := list(t)
	io := []string{"os", "net", "net/http", "io/fs", "database/sql", "go.etcd.io/bbolt", "log/slog", "os/exec"}
	for _, p := range append([]string{module + "/history"}, pkgs[module+"/history"].deps...) {
		cmd := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", p)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p, err)
		}
		for _, imp := range strings.Fields(string(out)) {
			for _, bad := range io {
				if imp == bad {
					t.Errorf("%s (history or a package it depends on) imports %s", p, imp)
				}
			}
		}
	}
}

// notify delivers to HTTP endpoints with the standard library alone: no
// package outside it, of the module or not, so that it can be wired
// anywhere without pulling anything in.
func TestNotifyIsStdlibOnly(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/notify")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != module+"/notify" {
			t.Errorf("notify depends on %s", p)
		}
	}
}
