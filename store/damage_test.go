package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// filledStore makes a state file with some objects, series, occurrences,
// actions and facts, closed, and returns its path and page size.
func filledStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ch calendar.Changes
	for i := range 200 {
		ch.Put = append(ch.Put, obj(fmt.Sprintf("%03d.ics", i), "1", strings.Repeat("x", 300)))
	}
	ch.Cursor = "c1"
	if err := s.ApplyChanges("team", "/cal/", ch, CalendarState{}); err != nil {
		t.Fatal(err)
	}
	var ss []calendar.Series
	var oo []calendar.Occurrence
	for k := range 5 {
		id := fmt.Sprintf("team/cal/uid-%d", k)
		ss = append(ss, series(id))
		for w := range 20 {
			oo = append(oo, occ(id, w, calendar.StateHeld))
		}
	}
	if err := s.SaveHistory("team", ss, oo); err != nil {
		t.Fatal(err)
	}
	if err := s.Facts(FactsDocItems).PutString("k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// corruptions each damage a state file in place, as a disk, a crash of
// another tool or a careless copy could.
var corruptions = []struct {
	name string
	do   func(t *testing.T, path string)
}{
	{"freelist page overwritten", func(t *testing.T, path string) {
		// The freelist page named by the newest meta: a freelist count far
		// above the high water mark.
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		fl := newestMeta(data, ps).freelist
		page := data[int(fl)*ps:]
		binary.LittleEndian.PutUint16(page[10:], 1)                        // count
		binary.LittleEndian.PutUint64(page[16:], uint64(len(data)/ps)+100) // a pgid beyond the file
		writeFile(t, path, data)
	}},
	{"freelist page garbage", func(t *testing.T, path string) {
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		fl := newestMeta(data, ps).freelist
		for i := range 64 {
			data[int(fl)*ps+i] = 0xAB
		}
		writeFile(t, path, data)
	}},
	{"branch pages overwritten", func(t *testing.T, path string) {
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		for p := 2; p < len(data)/ps; p++ {
			if p%3 == 0 {
				for i := range 48 {
					data[p*ps+i] = byte(i * 7)
				}
			}
		}
		writeFile(t, path, data)
	}},
	{"truncated inside its pages", func(t *testing.T, path string) {
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		hw := int(newestMeta(data, ps).pgid) * ps
		if err := os.Truncate(path, int64(hw*2/3)); err != nil {
			t.Fatal(err)
		}
	}},
	{"truncated to 100 bytes", func(t *testing.T, path string) {
		if err := os.Truncate(path, 100); err != nil {
			t.Fatal(err)
		}
	}},
	{"both meta pages garbage", func(t *testing.T, path string) {
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		for i := 16; i < 80; i++ {
			data[i] ^= 0x5A
			data[ps+i] ^= 0x5A
		}
		writeFile(t, path, data)
	}},
	{"meta page 0 garbage, header too", func(t *testing.T, path string) {
		// The file still reads, from meta page 1; bbolt's check asserts
		// page 0's header in a goroutine of its own.
		data := readFile(t, path)
		for i := range 64 {
			data[i] ^= 0xFF
		}
		writeFile(t, path, data)
	}},
	{"freelist page names another page", func(t *testing.T, path string) {
		data := readFile(t, path)
		ps := int(binary.LittleEndian.Uint32(data[16+8:]))
		fl := newestMeta(data, ps).freelist
		binary.LittleEndian.PutUint64(data[int(fl)*ps:], fl+1)
		writeFile(t, path, data)
	}},
	{"not a bbolt file", func(t *testing.T, path string) {
		writeFile(t, path, []byte(strings.Repeat("this is not a database\n", 2000)))
	}},
}

type metaInfo struct{ txid, freelist, pgid uint64 }

// newestMeta reads the meta page with the higher transaction id (the one
// bbolt uses): page header 16 bytes, then magic, version, page size,
// flags, root bucket (16), freelist, pgid, txid.
func newestMeta(data []byte, ps int) metaInfo {
	var best metaInfo
	for p := range 2 {
		m := data[p*ps+16:]
		mi := metaInfo{freelist: binary.LittleEndian.Uint64(m[32:]), pgid: binary.LittleEndian.Uint64(m[40:]), txid: binary.LittleEndian.Uint64(m[48:])}
		if p == 0 || mi.txid > best.txid {
			best = mi
		}
	}
	return best
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// useAll reads and writes everything a cycle and a report touch.
func useAll(s *Store) error {
	if _, err := s.Objects("team", "/cal/"); err != nil {
		return err
	}
	if _, err := s.Series(); err != nil {
		return err
	}
	if _, err := s.AllOccurrences(); err != nil {
		return err
	}
	if _, err := s.Actions(calendar.Pair{}); err != nil {
		return err
	}
	if _, _, err := s.Facts(FactsDocItems).String("k"); err != nil {
		return err
	}
	var ch calendar.Changes
	for i := range 300 {
		ch.Put = append(ch.Put, obj(fmt.Sprintf("n%03d.ics", i), "2", strings.Repeat("y", 500)))
	}
	ch.Cursor = "c2"
	return s.ApplyChanges("team", "/cal/", ch, CalendarState{})
}

// TestDamagedFileNeverPanics damages a real state file in several ways and
// opens and uses it: every failure is one error naming the file, never a
// panic.
func TestDamagedFileNeverPanics(t *testing.T) {
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			path := filledStore(t)
			c.do(t, path)
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("PANIC: %v", r)
					}
				}()
				s, err := Open(path, WithClock(func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }))
				if err != nil {
					return err
				}
				defer s.Close()
				return useAll(s)
			}()
			if err == nil {
				t.Skipf("bbolt did not notice this damage")
			}
			msg := err.Error()
			t.Logf("%s", msg)
			if strings.HasPrefix(msg, "PANIC") {
				t.Fatalf("a damaged file panicked: %s", msg)
			}
			if strings.Contains(msg, "\n") || !strings.Contains(msg, path) || !strings.Contains(msg, "damaged") {
				t.Fatalf("want one line naming %s as damaged, got %q", path, msg)
			}
		})
	}
}
