//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// writeWeeklyICS writes one iCalendar file of n weekly 1:1s of
// anna@example.com, each started years before now, with a slot moved by
// a day, one cancelled and one declined: what `oneonone inspect` reads
// when pointed at a large calendar export.
func writeWeeklyICS(w io.Writer, n, years int, now time.Time) error {
	bw := bufio.NewWriter(w)
	f := func(format string, a ...any) { fmt.Fprintf(bw, format+"\r\n", a...) }
	utc := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	f("BEGIN:VCALENDAR")
	f("VERSION:2.0")
	f("PRODID:-//oneonone//bench inspect//EN")
	base := now.AddDate(-years, 0, 0).UTC().Truncate(24 * time.Hour)
	for i := range n {
		start := base.Add(time.Duration(i%5)*24*time.Hour + time.Duration(9+i%8)*time.Hour)
		other := fmt.Sprintf("report%d@example.com", i)
		// vevent writes the master (recurrenceID zero) or an override.
		vevent := func(recurrenceID, at time.Time, status, partstat string) {
			f("BEGIN:VEVENT")
			f("UID:weekly-%d@bench.example.com", i)
			f("DTSTAMP:20250101T000000Z")
			f("SUMMARY:Anna / Report %d 1:1", i)
			f("DTSTART:%s", utc(at))
			f("DTEND:%s", utc(at.Add(30*time.Minute)))
			if recurrenceID.IsZero() {
				f("RRULE:FREQ=WEEKLY")
			} else {
				f("RECURRENCE-ID:%s", utc(recurrenceID))
			}
			if status != "" {
				f("STATUS:%s", status)
			}
			f("ORGANIZER;CN=Anna:mailto:anna@example.com")
			f("ATTENDEE;PARTSTAT=ACCEPTED;CN=Anna:mailto:anna@example.com")
			f("ATTENDEE;PARTSTAT=%s;CN=Report %d:mailto:%s", partstat, i, other)
			f("END:VEVENT")
		}
		vevent(time.Time{}, start, "", "ACCEPTED")
		moved := start.AddDate(0, 0, 7*(10+i%50))
		vevent(moved, moved.Add(26*time.Hour), "", "ACCEPTED")
		cancelled := start.AddDate(0, 0, 7*(100+i%50))
		vevent(cancelled, cancelled, "CANCELLED", "ACCEPTED")
		declined := start.AddDate(0, 0, 7*(200+i%50))
		vevent(declined, declined, "", "DECLINED")
	}
	f("END:VCALENDAR")
	return bw.Flush()
}

// buildBinary builds cmd/oneonone into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "oneonone")
	cmd := exec.Command("go", "build", "-o", bin, "oneonone/cmd/oneonone")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// peakRSS runs the binary with args, its output discarded, and returns
// its peak resident set size (getrusage ru_maxrss, KiB on Linux) and how
// many bytes it wrote.
func peakRSS(t *testing.T, bin string, args ...string) (rss int64, written int64) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ONEONONE_CONFIG=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bufferTail
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	written, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.b)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage")
	}
	return ru.Maxrss * 1024, written
}

// bufferTail keeps the first KiB written to it (an error message).
type bufferTail struct{ b []byte }

func (w *bufferTail) Write(p []byte) (int, error) {
	if room := 1024 - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// inspectRSSLimit is what `oneonone inspect` may use, at peak, on 10,000
// weekly series over 10 years (docs/PERFORMANCE.md, "`inspect` on a large export").
const inspectRSSLimit = 200 << 20

// TestInspectLargeRSS (BENCH_LARGE=1) runs the built binary's inspect, in
// JSON and in text, on 10,000 weekly 1:1s over 10 years with a window
// covering all of it (about 5.2 million occurrences), and asserts its
// peak RSS: inspect streams, one series at a time.
func TestInspectLargeRSS(t *testing.T) {
	if !large() {
		t.Skip("BENCH_LARGE=1 runs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	now := time.Now()
	const series, years = 10_000, 10
	ics := filepath.Join(dir, "weekly.ics")
	f, err := os.Create(ics)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeWeeklyICS(f, series, years, now); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(ics)
	if err != nil {
		t.Fatal(err)
	}
	from := now.AddDate(-years, 0, -1).Format("2006-01-02")
	to := now.AddDate(0, 0, 14).Format("2006-01-02")
	t.Logf("%d weekly series over %d years: %.1f MB of iCalendar, window %s to %s", series, years, float64(st.Size())/1e6, from, to)
	for _, format := range []string{"json", "text"} {
		rss, n := peakRSS(t, bin, "inspect", ics, "--from", from, "--to", to, "--me", "anna@example.com", "--format", format)
		t.Logf("inspect --format %s: peak RSS %.1f MB, %.1f MB written", format, float64(rss)/1e6, float64(n)/1e6)
		if rss >= inspectRSSLimit {
			t.Errorf("inspect --format %s: peak RSS %.1f MB, want under %d MB", format, float64(rss)/1e6, inspectRSSLimit>>20)
		}
	}
}
