package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// jsonRoundtrip is what schema 2 gave back for o: its JSON, decoded.
func jsonRoundtrip(t testing.TB, o calendar.Occurrence) calendar.Occurrence {
	t.Helper()
	v, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back calendar.Occurrence
	if err := json.Unmarshal(v, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// wantBack is what decode(encode(o)) must give: the JSON roundtrip of o,
// but where a zone's offset has seconds (local mean times before 1900
// or so), which RFC 3339 cannot write: there the binary encoding keeps the
// instant and the offset that JSON lost, in a zone named as JSON names it.
func wantBack(t testing.TB, o calendar.Occurrence) calendar.Occurrence {
	want := jsonRoundtrip(t, o)
	fix := func(w *time.Time, o time.Time) {
		if _, off := o.Zone(); off%60 != 0 {
			*w = zoned(o.Unix(), int64(o.Nanosecond()), off)
		}
	}
	fix(&want.OriginalStart, o.OriginalStart)
	fix(&want.Start, o.Start)
	fix(&want.End, o.End)
	fix(&want.SeenAt, o.SeenAt)
	fix(&want.ChangedAt, o.ChangedAt)
	fix(&want.ChangeSeen, o.ChangeSeen)
	return want
}

// binaryRoundtrip is what schema 3 gives back for o, stored under its key.
func binaryRoundtrip(t testing.TB, o calendar.Occurrence) (calendar.Occurrence, int) {
	t.Helper()
	v, err := encodeOccurrence(o)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeOccurrence([]byte(o.SeriesID+sep+o.Key()), v)
	if err != nil {
		t.Fatalf("decode %+v: %v", o, err)
	}
	return back, len(v)
}

// sameTime tells whether a and b are the same instant shown the same way.
func sameTime(a, b time.Time) bool {
	an, ao := a.Zone()
	bn, bo := b.Zone()
	return a.Equal(b) && an == bn && ao == bo && a.Location().String() == b.Location().String() && a.String() == b.String()
}

// randomOccurrences are n occurrences of every shape: zones, moves, ends
// before starts, nanoseconds, unknown states, zero times, long strings,
// with and without the fields of a change of fate.
func randomOccurrences(n int, seed uint64) []calendar.Occurrence {
	r := rand.New(rand.NewPCG(seed, 1))
	zones := []*time.Location{time.UTC, time.Local, mustZone("Europe/Berlin"), mustZone("America/New_York"),
		mustZone("Asia/Kolkata"), mustZone("Australia/Lord_Howe"), mustZone("Pacific/Chatham"),
		time.FixedZone("", 3600), time.FixedZone("X", -5*3600-30*60), time.FixedZone("", 14*3600)}
	zone := func() *time.Location { return zones[r.IntN(len(zones))] }
	states := append(append([]calendar.State{}, calendar.States...), "", "made-up-state", calendar.State(bytes.Repeat([]byte("z"), 300)))
	at := func(base time.Time) time.Time {
		t := base.Add(time.Duration(r.Int64N(int64(400*24*time.Hour))) - 200*24*time.Hour).Truncate(time.Second)
		if r.IntN(5) == 0 {
			t = t.Add(time.Duration(r.IntN(1e9)))
		}
		return t.In(zone())
	}
	out := make([]calendar.Occurrence, 0, n)
	for i := range n {
		base := time.Date(1900+r.IntN(300), 1, 1, 0, 0, 0, 0, time.UTC)
		if i%3 == 0 {
			base = time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC) // about a change of DST
		}
		o := calendar.Occurrence{
			SeriesID:      fmt.Sprintf("src/cal %d/uid-%d@example.com", i%7, i),
			Pair:          calendar.NewPair(fmt.Sprintf("p%d@example.com", r.IntN(100)), "anna@example.com"),
			OriginalStart: at(base),
			State:         states[r.IntN(len(states))],
			Vanished:      r.IntN(4) == 0,
		}
		o.Start = o.OriginalStart
		if r.IntN(3) == 0 {
			o.Start = at(o.OriginalStart)
		}
		o.End = o.Start.Add(time.Duration(r.IntN(120)) * time.Minute)
		switch r.IntN(6) {
		case 0:
			o.End = at(o.Start) // before or after, in another zone
		case 1:
			o.End = time.Time{}
		}
		if r.IntN(2) == 0 {
			o.SeenAt = at(o.OriginalStart)
		}
		if r.IntN(4) == 0 {
			o.MadeUpBy = fmt.Sprintf("makeup-%d@example.com", r.IntN(1000))
		}
		if r.IntN(20) == 0 {
			o.Pair = calendar.Pair{}
		}
		if r.IntN(20) == 0 {
			o.Start = time.Time{}
		}
		if r.IntN(2) == 0 {
			// A provider's time is in UTC, often to the millisecond; seen,
			// in some zone; any one of the four may be there alone.
			switch r.IntN(4) {
			case 0:
			case 1:
				o.ChangedAt = at(o.OriginalStart)
			default:
				o.ChangedAt = at(o.OriginalStart).UTC().Truncate(time.Second).Add(time.Duration(r.IntN(1000)) * time.Millisecond)
			}
			if r.IntN(4) != 0 {
				o.ChangeSeen = at(o.OriginalStart)
			}
			switch r.IntN(4) {
			case 0:
			case 1:
				o.ChangedBy = strings.Repeat("x", 200) + "@example.com"
			default:
				o.ChangedBy = o.Pair.B
			}
			o.Estimated = r.IntN(3) == 0
		}
		out = append(out, o)
	}
	return out
}

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Every field of an occurrence comes back from the binary encoding as it
// came back from the JSON of schema 2, zones included, whatever time.Local is.
func TestOccurrenceEncodingMatchesJSON(t *testing.T) {
	local := time.Local
	t.Cleanup(func() { time.Local = local })
	versions := map[byte]int{}
	for _, loc := range []*time.Location{local, time.UTC, mustZone("Europe/Berlin"), mustZone("America/New_York")} {
		time.Local = loc
		for i, o := range randomOccurrences(3000, uint64(len(loc.String()))) {
			versions[mustEncode(t, o)[0]]++
			want := wantBack(t, o)
			got, _ := binaryRoundtrip(t, o)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Local %s, occurrence %d:\n got %+v\nwant %+v", loc, i, got, want)
			}
			for _, p := range [][2]time.Time{{got.OriginalStart, want.OriginalStart}, {got.Start, want.Start}, {got.End, want.End}, {got.SeenAt, want.SeenAt},
				{got.ChangedAt, want.ChangedAt}, {got.ChangeSeen, want.ChangeSeen}} {
				if !sameTime(p[0], p[1]) {
					t.Fatalf("Local %s, occurrence %d: time %v, want %v", loc, i, p[0], p[1])
				}
			}
		}
	}
	if versions[occurrenceV1] == 0 || versions[occurrenceV2] == 0 {
		t.Errorf("encodings by version %v: want both", versions)
	}
}

// What the store holds: an object is a version byte, the ETag with its
// length and the data as it came; an occurrence is small; both come back.
func TestStoredEncoding(t *testing.T) {
	s := openTemp(t)
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
	if err := s.ApplyChanges("team", "/cal/", calendar.Changes{Full: true, Put: []calendar.Object{obj("a.ics", `"e1"`, ics)}}, CalendarState{}); err != nil {
		t.Fatal(err)
	}
	o := occ("team/cal/a", 0, calendar.StateHeld)
	o.SeenAt = t0.Add(-24 * time.Hour)
	if err := s.SaveHistory("team", []calendar.Series{series("team/cal/a")}, []calendar.Occurrence{o}); err != nil {
		t.Fatal(err)
	}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketObjects).Get([]byte("team\x00/cal/\x00a.ics"))
		want := append([]byte{objectV1, 4}, `"e1"`+ics...)
		if !bytes.Equal(v, want) {
			t.Errorf("stored object %q, want %q", v, want)
		}
		v = tx.Bucket(bucketOccurrences).Get([]byte("team/cal/a\x0020260105T100000Z"))
		if len(v) == 0 || v[0] != occurrenceV1 || len(v) > 50 {
			t.Errorf("stored occurrence %q (%d bytes)", v, len(v))
		}
		t.Logf("occurrence: %d bytes, its JSON %d", len(v), len(mustJSON(t, o)))
		return nil
	})
	got, ok, err := s.Object("team", "/cal/", "a.ics")
	if err != nil || !ok || got.ETag != `"e1"` || string(got.Data) != ics {
		t.Errorf("object %+v, %v, %v", got, ok, err)
	}
	etags, err := s.ObjectETags("team", "/cal/")
	if err != nil || etags["a.ics"] != `"e1"` {
		t.Errorf("etags %v, %v", etags, err)
	}
	l, err := s.Occurrences("team/cal/a")
	if err != nil || len(l) != 1 || !reflect.DeepEqual(l[0], jsonRoundtrip(t, o)) {
		t.Errorf("occurrences %+v, %v", l, err)
	}
	// A change of fate is stored (as 0x02) and comes back; what has none
	// is stored as before there were such fields, and what was stored
	// then comes back as it did.
	c := occ("team/cal/a", 1, calendar.StateSkipped)
	c.ChangedAt = time.Date(2026, 1, 11, 17, 3, 10, 511e6, time.UTC)
	c.ChangeSeen = time.Date(2026, 1, 11, 18, 0, 0, 0, time.FixedZone("", 3600))
	c.ChangedBy, c.Estimated = "bob@example.com", true
	if err := s.SaveHistory("team", []calendar.Series{series("team/cal/a")}, []calendar.Occurrence{o, c}); err != nil {
		t.Fatal(err)
	}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketOccurrences).Get([]byte("team/cal/a\x0020260112T100000Z"))
		if len(v) == 0 || v[0] != occurrenceV2 || len(v) > 80 {
			t.Errorf("stored occurrence with a change %q (%d bytes)", v, len(v))
		}
		t.Logf("occurrence with a change: %d bytes, its JSON %d", len(v), len(mustJSON(t, c)))
		return nil
	})
	if l, err := s.Occurrences("team/cal/a"); err != nil || len(l) != 2 || !reflect.DeepEqual(l[1], jsonRoundtrip(t, c)) {
		t.Errorf("occurrences %+v, %v", l, err)
	}
	before := []struct {
		o calendar.Occurrence
		v string
	}{ // as encodeOccurrence wrote them before the change fields
		{occ("team/cal/a", 0, calendar.StateHeld), "\x01\x00\x01\x10anna@example.com\x0fbob@example.com\x00\x00\x90\x1c"},
		{func() calendar.Occurrence {
			o := occ("team/cal/a", 0, calendar.StateSkipped)
			o.SeenAt, o.MadeUpBy = t0.Add(-24*time.Hour), "m@example.com"
			return o
		}(), "\x01\x06\x04\x10anna@example.com\x0fbob@example.com\x00\x00\x90\x1c\xff\xc5\n\rm@example.com"},
	}
	for _, tc := range before {
		if v := mustEncode(t, tc.o); string(v) != tc.v {
			t.Errorf("%+v encodes as %q, before as %q", tc.o, v, tc.v)
		}
		back, err := decodeOccurrence([]byte(tc.o.SeriesID+sep+tc.o.Key()), []byte(tc.v))
		if err != nil || !reflect.DeepEqual(back, jsonRoundtrip(t, tc.o)) {
			t.Errorf("%q decodes as %+v, %v", tc.v, back, err)
		}
	}
	for _, o := range randomOccurrences(200, 7) {
		back, _ := binaryRoundtrip(t, o)
		if !reflect.DeepEqual(back, wantBack(t, o)) {
			t.Fatalf("occurrence %+v came back as %+v", o, back)
		}
	}
	for _, tc := range []struct{ etag, data string }{{"", ""}, {`W/"x"`, ""}, {"", "data"}, {string(bytes.Repeat([]byte("e"), 300)), "{}"}} {
		v, _ := encodeObject(tc.etag, []byte(tc.data))
		etag, data, err := decodeObject(v)
		if err != nil || etag != tc.etag || string(data) != tc.data {
			t.Errorf("object %q %q came back as %q %q, %v", tc.etag, tc.data, etag, data, err)
		}
		if etag, err := decodeObjectETag(v); err != nil || etag != tc.etag {
			t.Errorf("etag %q came back as %q, %v", tc.etag, etag, err)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every state has a code: a new one of calendar's is not stored as text
// until it is added (at the end) to storedStates.
func TestStoredStates(t *testing.T) {
	for _, st := range calendar.States {
		if _, ok := stateCodes[st]; !ok {
			t.Errorf("state %q has no stored code", st)
		}
	}
	if want := []byte{occurrenceV1, 0, 1}; !bytes.HasPrefix(mustEncode(t, occ("s", 0, calendar.StateHeld)), want) {
		t.Errorf("held is not code 1")
	}
}

func mustEncode(t testing.TB, o calendar.Occurrence) []byte {
	t.Helper()
	v, err := encodeOccurrence(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A year that RFC 3339 cannot write, nor the key hold, is refused, as
// schema 2 refused it.
func TestEncodeOccurrenceYears(t *testing.T) {
	o := occ("team/cal/a", 0, calendar.StateHeld)
	o.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := encodeOccurrence(o); err == nil {
		t.Error("year 10000 encoded")
	}
}

// Values that are not what encodeObject and encodeOccurrence write are
// errors, not panics, and a length larger than the value allocates nothing.
func TestDecodeHostile(t *testing.T) {
	huge := binary.AppendUvarint([]byte{objectV1}, 1<<62)
	for _, v := range [][]byte{nil, {}, {2}, {objectV1}, huge, {objectV1, 0x80}, []byte(`{"etag":"x"}`)} {
		if _, _, err := decodeObject(v); err == nil {
			t.Errorf("object %q decoded", v)
		}
	}
	k := []byte("s\x0020260105T100000Z")
	good, _ := encodeOccurrence(occ("s", 0, calendar.StateHeld))
	changed := occ("s", 0, calendar.StateSkipped)
	changed.ChangedAt, changed.ChangedBy = t0.Add(-time.Hour), "bob@example.com"
	good2 := mustEncode(t, changed)
	unknownBit := bytes.Clone(good2)
	unknownBit[2] |= 0x80
	bad := [][]byte{nil, {occurrenceV1}, {9, 0, 0}, append(bytes.Clone(good), 0), good[:len(good)-1],
		{occurrenceV2, 0, 1}, append(bytes.Clone(good2), 0), good2[:len(good2)-1], unknownBit,
		binary.AppendUvarint([]byte{occurrenceV1, 0, 1}, 1<<62), []byte(`{"state":"held"}`)}
	for _, v := range bad {
		if _, err := decodeOccurrence(k, v); err == nil {
			t.Errorf("occurrence %q decoded", v)
		}
	}
	for _, key := range []string{"", "s", "\x0020260105T100000Z", "s\x002026-01-05", "s\x0020261305T100000Z", "s\x0020260230T100000Z"} {
		if _, err := decodeOccurrence([]byte(key), good); err == nil {
			t.Errorf("key %q decoded", key)
		}
	}
	hostile := binary.AppendUvarint([]byte{occurrenceV1, 0, 1}, 1<<40)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		_, _ = decodeOccurrence(k, hostile)
		_, _, _ = decodeObject(huge)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("%d bytes allocated decoding hostile lengths 100 times", n)
	}
}

func FuzzDecodeOccurrence(f *testing.F) {
	for _, o := range randomOccurrences(20, 3) {
		v, _ := encodeOccurrence(o)
		f.Add([]byte(o.SeriesID+sep+o.Key()), v)
	}
	f.Add([]byte("s\x0020260105T100000Z"), []byte{occurrenceV1, 0xff, 0xff})
	f.Add([]byte("s\x0020260105T100000Z"), []byte{occurrenceV2, 0xff, occChangeFlags, 0xff})
	c := occ("s", 0, calendar.StateDeclined)
	c.ChangedAt, c.ChangeSeen = t0.Add(-90*time.Minute+511*time.Millisecond), t0.Add(-time.Hour).In(time.FixedZone("", 19800))
	c.ChangedBy, c.Estimated = "bob@example.com", true
	f.Add([]byte(c.SeriesID+sep+c.Key()), mustEncode(f, c))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		o, err := decodeOccurrence(k, v)
		if err != nil {
			return
		}
		// What decodes encodes again, under the same key, and comes back
		// the same.
		keySec, err := parseOccKey(k[bytes.IndexByte(k, 0)+1:])
		if err != nil {
			t.Fatal(err)
		}
		w, err := encodeOccurrenceAt(keySec, o)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", o, err)
		}
		back, err := decodeOccurrence(k, w)
		if err != nil || !reflect.DeepEqual(back, o) {
			t.Fatalf("re-encoded %+v came back as %+v, %v", o, back, err)
		}
	})
}

func FuzzDecodeObject(f *testing.F) {
	long := strings.Repeat("BEGIN:VEVENT\r\nSUMMARY:Anna / Bob\r\nEND:VEVENT\r\n", 40)
	for _, tc := range [][2]string{{`"e1"`, "BEGIN:VCALENDAR\r\n"}, {"", ""}, {"x", `{"id":1}`}, {`"e2"`, long}} {
		v, _ := encodeObject(tc[0], []byte(tc[1]))
		f.Add(v)
	}
	f.Add(binary.AppendUvarint([]byte{objectV1}, 1<<63))
	f.Fuzz(func(t *testing.T, v []byte) {
		etag, data, err := decodeObject(v)
		etagOnly, err2 := decodeObjectETag(v)
		// decodeObjectETag reads no further than the ETag: it may accept
		// a value whose data is damaged, never refuse a good one.
		if (err == nil && (err2 != nil || etag != etagOnly)) || (err2 != nil && err == nil) {
			t.Fatalf("decodeObject %q, %v; decodeObjectETag %q, %v", etag, err, etagOnly, err2)
		}
		if err != nil {
			return
		}
		if v[0] == objectV1 && len(etag)+len(data) >= len(v) {
			t.Fatalf("%d bytes decoded from %d", len(etag)+len(data), len(v))
		}
		if len(data) > maxObjectData {
			t.Fatalf("%d bytes inflated, more than %d", len(data), maxObjectData)
		}
		// What decodes encodes again, no longer than stored as it came (a
		// varint may have been written longer than need be; another
		// deflater may have deflated better), and comes back the same.
		w, _ := encodeObject(etag, data)
		e2, d2, err := decodeObject(w)
		if (v[0] == objectV1 && len(w) > len(v)) || err != nil || e2 != etag || !bytes.Equal(d2, data) {
			t.Fatalf("re-encoded %q (from %q) came back as %q %q, %v", w, v, e2, d2, err)
		}
	})
}

// A large object is stored deflated and comes back as it came; a deflated
// value that inflates to more or less than it declares, or declares more
// than maxObjectData, is an error, and allocates no more than it holds.
func TestDeflatedObject(t *testing.T) {
	data := []byte(strings.Repeat("BEGIN:VEVENT\r\nSUMMARY:Anna / Bob\r\nDESCRIPTION:Agenda: https://docs.example.com/1on1\r\nEND:VEVENT\r\n", 50))
	v, err := encodeObject(`"e9"`, data)
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != objectV2 || len(v) > len(data)/4 {
		t.Fatalf("a %d-byte object stored in %d bytes, version %d", len(data), len(v), v[0])
	}
	etag, back, err := decodeObject(v)
	if err != nil || etag != `"e9"` || !bytes.Equal(back, data) {
		t.Fatalf("came back as %q, %d bytes, %v", etag, len(back), err)
	}
	if etag, err := decodeObjectETag(v); err != nil || etag != `"e9"` {
		t.Fatalf("etag %q, %v", etag, err)
	}
	// The declared length follows the ETag: change it.
	head := 1 + 1 + len(`"e9"`)
	_, w := binary.Uvarint(v[head:])
	relabel := func(n uint64) []byte {
		out := binary.AppendUvarint(bytes.Clone(v[:head]), n)
		return append(out, v[head+w:]...)
	}
	for _, bad := range [][]byte{relabel(uint64(len(data)) - 1), relabel(uint64(len(data)) + 1), relabel(maxObjectData + 1), relabel(1 << 62), v[:len(v)-3]} {
		if _, _, err := decodeObject(bad); err == nil {
			t.Errorf("a bad deflated value decoded")
		}
	}
}
