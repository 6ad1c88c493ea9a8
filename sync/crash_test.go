package sync_test

// The crash test re-runs the test binary as a child that syncs the demo
// team, with write-back, from a CalDAV server in this (the parent) process,
// cycle after cycle, until the parent SIGKILLs it: at a random moment, or
// while one of its PUTs is on the server (before the server applied it, or
// after, with the answer not yet sent). Between kills the user edits the
// calendar so that there is always something to write. The next child
// starts on the same state file. After the last kill a clean run must
// converge to exactly what a run that was never killed leaves.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar/caldav"
	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
	"oneonone/store"
)

const (
	crashChildEnv = "ONEONONE_SYNC_CRASH_STATE" // the child's state file
	crashURLEnv   = "ONEONONE_SYNC_CRASH_URL"   // the parent's CalDAV server
)

// TestCrashChild is the child's body; it runs only with crashChildEnv set.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("the child of TestCrashSafety")
	}
	crashChild(path, os.Getenv(crashURLEnv))
}

// crashChild syncs in a loop until it is killed; it prints "ready" when
// the store is open and "cycle N" after each cycle.
func crashChild(path, url string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	st, err := store.Open(path)
	if err != nil {
		fail(err)
	}
	client, err := caldav.New(caldav.Options{URL: url, Zone: faultZone, HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		fail(err)
	}
	eng := teamEngine(st, "team", client)
	fmt.Println("ready")
	for n := 1; ; n++ {
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "cycle error:", err)
		}
		fmt.Printf("cycle %d: %d written\n", n, sums[0].Blocks.Written)
	}
}

// putWatch slows the server's PUTs down, so that a kill can land inside
// one, and tells where the PUTs are: arrived and not yet applied, or
// applied with the answer not yet sent.
type putWatch struct {
	mu              gosync.Mutex
	idle            *gosync.Cond
	before, after   int // PUTs in each phase
	rng             *rand.Rand
	arrive, applied chan struct{} // a signal per PUT that reaches the phase
	puts            int
}

func newPutWatch(seed uint64) *putWatch {
	w := &putWatch{rng: rand.New(rand.NewPCG(seed, 5)), arrive: make(chan struct{}, 1), applied: make(chan struct{}, 1)}
	w.idle = gosync.NewCond(&w.mu)
	return w
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (w *putWatch) pause() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Duration(10+w.rng.IntN(40)) * time.Millisecond
}

func (w *putWatch) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(rw, r)
			return
		}
		w.mu.Lock()
		w.before++
		w.puts++
		w.mu.Unlock()
		signal(w.arrive)
		time.Sleep(w.pause())
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.mu.Lock()
		w.before--
		w.after++
		w.mu.Unlock()
		signal(w.applied)
		time.Sleep(w.pause())
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
		w.mu.Lock()
		w.after--
		if w.before+w.after == 0 {
			w.idle.Broadcast()
		}
		w.mu.Unlock()
	})
}

// phase says where the PUTs are now.
func (w *putWatch) phase() (before, after int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.before, w.after
}

// wait blocks until no PUT is on the server: one the dead child sent has
// been applied (or refused).
func (w *putWatch) wait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.before+w.after > 0 {
		w.idle.Wait()
	}
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

// child is one run of the test binary as the crash child.
type child struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	mu     gosync.Mutex
	cycles int // cycles the child finished
	lines  chan string
}

func startChild(t *testing.T, path, url string) *child {
	t.Helper()
	c := &child{lines: make(chan string, 1)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashURLEnv+"="+url)
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			if first {
				c.lines <- sc.Text()
				first = false
			}
			if strings.HasPrefix(sc.Text(), "cycle ") {
				c.mu.Lock()
				c.cycles++
				c.mu.Unlock()
			}
		}
		if first {
			c.lines <- ""
		}
	}()
	select {
	case line := <-c.lines:
		if line != "ready" {
			c.cmd.Wait()
			t.Fatalf("child did not start (%q): %s", line, c.stderr.String())
		}
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		c.cmd.Wait()
		t.Fatal("child not ready after 60s")
	}
	return c
}

// kill SIGKILLs the child and checks that the signal is what ended it.
func (c *child) kill(t *testing.T) int {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := c.cmd.Wait()
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended by itself (%v): %s", err, c.stderr.String())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cycles
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	kills := soakOr(15, 200)
	seed := faultSeed(t, 20261122)
	team := demo.Seed(faultNow, faultZone)
	started := time.Now()

	// The run that is never killed.
	cleanDAV := caldavserver.New("anna")
	cleanPaths := loadTeam(t, cleanDAV, team)
	cleanSrv := httptest.NewServer(cleanDAV.Handler())
	defer cleanSrv.Close()
	cleanClient, err := caldav.New(caldav.Options{URL: cleanSrv.URL + "/", Zone: faultZone})
	if err != nil {
		t.Fatal(err)
	}
	cleanStore := openStoreAt(t, filepath.Join(t.TempDir(), "clean.db"))
	defer cleanStore.Close()
	base := takeBaseline(t, teamEngine(cleanStore, "team", cleanClient), cleanStore, davView{cleanDAV, cleanPaths}, agenda.Extract)
	targets := make([]eventKey, 0, len(base.blocks))
	for k := range base.blocks {
		targets = append(targets, k)
	}
	slices.SortFunc(targets, func(a, b eventKey) int { return strings.Compare(a.String(), b.String()) })

	// The server the children sync with, on 127.0.0.1, its PUTs slowed.
	dav := caldavserver.New("anna")
	paths := loadTeam(t, dav, team)
	view := davView{dav, paths}
	initial := view.descriptions(t)
	watch := newPutWatch(seed)
	srv := httptest.NewServer(watch.handler(dav.Handler()))
	defer srv.Close()
	u := newUser(seed, false)
	rng := rand.New(rand.NewPCG(seed, 11))
	path := filepath.Join(t.TempDir(), "state.db")

	var inPutBefore, inPutAfter, atRandom, cycles int
	for round := range kills {
		// The user, between runs: edits anywhere, and our block deleted
		// or broken in a few targets, so that the child has writes to do.
		for range rng.IntN(3) {
			k := pickEvent(rng, base, initial)
			u.davEdit(t, dav, k.href, k.rid, anyMove)
		}
		for range 2 + rng.IntN(3) {
			k := targets[rng.IntN(len(targets))]
			move := moveDelete
			if rng.IntN(4) == 0 {
				move = moveBreak
			}
			u.davEdit(t, dav, k.href, k.rid, move)
		}

		drain(watch.arrive)
		drain(watch.applied)
		c := startChild(t, path, srv.URL+"/")
		mode := rng.IntN(3)
		wait := func(ch chan struct{}) {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
			}
		}
		switch mode {
		case 0: // while a PUT waits to be applied
			wait(watch.arrive)
			time.Sleep(time.Duration(rng.IntN(8)) * time.Millisecond)
		case 1: // after a PUT was applied, before its answer
			wait(watch.applied)
			time.Sleep(time.Duration(rng.IntN(8)) * time.Millisecond)
		default: // anywhere
			time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		}
		before, after := watch.phase()
		n := c.kill(t)
		cycles += n
		switch {
		case after > 0:
			inPutAfter++
		case before > 0:
			inPutBefore++
		default:
			atRandom++
		}
		watch.wait()

		// The store opens after every kill, and no occurrence is in it twice.
		st, err := store.Open(path)
		if err != nil {
			t.Fatalf("round %d: store does not open after a kill: %v", round, err)
		}
		storedHistory(t, st)
		if _, err := st.ObjectETags("team", paths[0]); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		st.Close()
		if t.Failed() {
			t.Fatalf("round %d: broken after a kill (mode %d, PUTs before/after applying %d/%d)", round, mode, before, after)
		}
	}

	// The last restart: a clean run converges to the never-killed one.
	st := openStoreAt(t, path)
	defer st.Close()
	client, err := caldav.New(caldav.Options{URL: srv.URL + "/", Zone: faultZone})
	if err != nil {
		t.Fatal(err)
	}
	clean := converge(t, teamEngine(st, "team", client), 4)
	checkCalendar(t, view, base, initial, u, plainText)
	sameHistory(t, storedHistory(t, st), base.history)

	watch.mu.Lock()
	puts := watch.puts
	watch.mu.Unlock()
	t.Logf("seed %d: %d kills: %d in a PUT before the server applied it, %d after it applied it and before the answer, %d elsewhere; the children finished %d cycles and sent %d PUTs; user: %s; converged in %d clean cycles; %v",
		seed, kills, inPutBefore, inPutAfter, atRandom, cycles, puts, u.summary(), clean, time.Since(started).Round(time.Millisecond))
	if inPutBefore+inPutAfter == 0 {
		t.Error("no kill landed in a write")
	}
}
