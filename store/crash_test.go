package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// The crash test re-runs the test binary as a child that writes to the
// store in a loop until it is SIGKILLed. What the child writes in step g is
// a pure function of g, so the parent can compute what the store must hold
// from the cursor it finds, and check that it holds exactly that.

const (
	crashChildEnv = "ONEONONE_STORE_CRASH_CHILD"
	crashSource   = "team"
	crashCal      = "/cal/crash/"
	crashObjects  = 150
	crashSeries   = 20
)

func mix(a, b int) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%d", a, b)
	return h.Sum32()
}

func crashHref(h int) string { return fmt.Sprintf("%03d.ics", h) }

// changesFor is step g's sync: every fifth a full one.
func changesFor(g int) calendar.Changes {
	ch := calendar.Changes{Full: g%5 == 1, Cursor: strconv.Itoa(g)}
	for h := range crashObjects {
		r := mix(g, h)
		switch {
		case ch.Full && r%4 != 0, !ch.Full && r%5 == 0:
			data := fmt.Sprintf("%d:%d:%s", g, h, strings.Repeat("x", 1500+int(r%1000)))
			ch.Put = append(ch.Put, calendar.Object{Href: crashHref(h), ETag: strconv.Itoa(g), Data: []byte(data)})
		case !ch.Full && r%11 == 1:
			ch.Deleted = append(ch.Deleted, crashHref(h))
		}
	}
	return ch
}

// expectedObjects replays steps 1..g: href → etag.
func expectedObjects(g int) map[string]string {
	m := make(map[string]string)
	for i := 1; i <= g; i++ {
		ch := changesFor(i)
		if ch.Full {
			clear(m)
		}
		for _, d := range ch.Deleted {
			delete(m, d)
		}
		for _, o := range ch.Put {
			m[o.Href] = o.ETag
		}
	}
	return m
}

func crashSeriesID(k int) string { return fmt.Sprintf("%s/%s/uid-%02d", crashSource, crashCal, k) }

func crashOccCount(g, k int) int { return 1 + int(mix(g, 2000+k)%40) }

// historyFor is step g's history: a subset of the series, each with a
// number of occurrences that depends on g, all marked with g.
func historyFor(g int) ([]calendar.Series, []calendar.Occurrence) {
	var ser []calendar.Series
	var occs []calendar.Occurrence
	mark := "gen " + strconv.Itoa(g)
	for k := range crashSeries {
		if mix(g, 1000+k)%3 == 0 {
			continue
		}
		id := crashSeriesID(k)
		se := series(id)
		se.Title = mark
		ser = append(ser, se)
		for w := range crashOccCount(g, k) {
			o := occ(id, w, calendar.StateHeld)
			o.MadeUpBy = mark
			occs = append(occs, o)
		}
	}
	return ser, occs
}

// crashChild is the child's loop; it runs until it is killed.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	st, _, err := s.CalendarState(crashSource, crashCal)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	g, _ := strconv.Atoi(st.Cursor)
	fmt.Println("ready")
	for g++; ; g++ {
		if err := s.ApplyChanges(crashSource, crashCal, changesFor(g), CalendarState{LastSync: time.Now()}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		ser, occ := historyFor(g)
		if err := s.SaveHistory(crashSource, ser, occ); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("step", g)
	}
}

// checkCrashStore opens the store and checks it is what steps 1..cursor
// make it; it returns the cursor.
func checkCrashStore(t *testing.T, path string) int {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s.Close()

	err = s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("bbolt check: %v", err)
	}

	st, ok, err := s.CalendarState(crashSource, crashCal)
	if err != nil {
		t.Fatal(err)
	}
	g := 0
	if ok {
		if g, err = strconv.Atoi(st.Cursor); err != nil {
			t.Fatalf("cursor %q", st.Cursor)
		}
	}
	want := expectedObjects(g)
	objs, err := s.Objects(crashSource, crashCal)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(want) || st.Objects != len(objs) {
		t.Errorf("cursor %d: %d objects stored, state says %d, want %d", g, len(objs), st.Objects, len(want))
	}
	for _, o := range objs {
		if want[o.Href] != o.ETag {
			t.Errorf("cursor %d: %s has etag %s, want %q", g, o.Href, o.ETag, want[o.Href])
		}
		if !bytes.HasPrefix(o.Data, []byte(o.ETag+":")) {
			t.Errorf("cursor %d: %s etag %s holds data of %.10q", g, o.Href, o.ETag, o.Data)
		}
	}

	all, err := s.Series()
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range all {
		sg, err := strconv.Atoi(strings.TrimPrefix(se.Title, "gen "))
		if err != nil {
			t.Fatalf("series %s title %q", se.ID, se.Title)
		}
		if sg > g+1 {
			t.Errorf("series %s saved in step %d, after the cursor %d", se.ID, sg, g)
		}
		var k int
		fmt.Sscanf(se.ID[strings.LastIndex(se.ID, "-")+1:], "%d", &k)
		occ, err := s.Occurrences(se.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := crashOccCount(sg, k); len(occ) != n {
			t.Errorf("series %s of step %d: %d occurrences, want %d", se.ID, sg, len(occ), n)
		}
		for w, o := range occ {
			if o.MadeUpBy != se.Title || !o.OriginalStart.Equal(t0.AddDate(0, 0, 7*w)) {
				t.Errorf("series %s of step %d: occurrence %d is %s of %q", se.ID, sg, w, o.Key(), o.MadeUpBy)
			}
		}
	}
	return g
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	const rounds = 6
	last := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child says "ready", then "step N" after each step it
		// committed; the lines are read to the end so that it never
		// blocks writing them.
		ready, stepped := make(chan bool, 1), make(chan struct{})
		go func() {
			r := bufio.NewReader(stdout)
			line, _ := r.ReadString('\n')
			ready <- strings.TrimSpace(line) == "ready"
			once := false
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if !once && strings.HasPrefix(line, "step ") {
					once = true
					close(stepped)
				}
			}
		}()
		select {
		case ok := <-ready:
			if !ok {
				cmd.Wait()
				t.Fatalf("round %d: child did not start: %s", round, stderr.String())
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child not ready after 60s", round)
		}
		if last == 0 && round == rounds-1 {
			// On a loaded machine no round may have got as far as one
			// step: the last one kills the child only after its first,
			// so that a step committed is always checked at least once.
			select {
			case <-stepped:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: no step committed after 60s: %s", round, stderr.String())
			}
		}
		time.Sleep(rand.N(300 * time.Millisecond))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended by itself (%v): %s", round, err, stderr.String())
		}
		g := checkCrashStore(t, path)
		if g < last {
			t.Fatalf("round %d: cursor went back from %d to %d", round, last, g)
		}
		t.Logf("round %d: killed at step %d", round, g)
		last = g
	}
	if last == 0 {
		t.Error("the child never committed a step")
	}
}
