package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	gosync "sync"
	"sync/atomic"
	"time"

	"oneonone/calendar"
)

// The encodings of the records that are many: calendar objects and
// occurrences. Every read and write of them goes through these functions;
// legacy.go keeps how schema 2 and older wrote them (JSON), for the
// migration and for Check.
//
// Both start with a version byte, so that an encoding can change without a
// schema version of its own.
//
// An object (its href is in the key):
//
//	0x01  uvarint len(etag)  etag  data
//
// with data the iCalendar (or JSON) bytes as fetched.
//
// An occurrence, under the key series ID \x00 original start (UTC, to the
// second), which are not repeated:
//
//	0x01  flags  state  [len state]  len A  A  len B  B
//	[Δs(original−key)]  offset(original)  Δs(start−original)  [offset(start)]
//	Δs(end−start)  [offset(end)]
//	[Δs(seen−original)  [offset(seen)]]  [len made-up-by  made-up-by]
//	[ns(original) ns(start) ns(end) [ns(seen)]]
//
// An occurrence with any of the fields of a change of its fate (ChangedAt,
// ChangeSeen, ChangedBy, Estimated) is written as version 0x02: a second
// flags byte after the first, the same fields, and then
//
//	[Δs(changed−original)  [offset(changed)]]
//	[Δs(change-seen−original)  [offset(change-seen)]]
//	[len changed-by  changed-by]  [ns(changed)]  [ns(change-seen)]
//
// each part there when a bit of the second flags says so; one without
// them is written as 0x01, as before there were such fields.
//
// "len" is a uvarint; offsets (seconds east of UTC) and Δs (seconds) are
// zig-zag varints; ns are uvarints below 10⁹; each bracketed part is there
// when a bit of flags says so (the state's text when state is 0xff). The
// original start differs from the key's only in a record migrated from
// schema 2 whose zone offset had seconds, which JSON dropped. A time comes back as the JSON encoding of
// schema 2 gave it back: in UTC when its offset is 0, in time.Local when
// Local has that offset at that instant, else in a fixed zone without a
// name.

const (
	objectV1     = 1 // version, uvarint ETag length, ETag, the data as it came
	objectV2     = 2 // version, uvarint ETag length, ETag, uvarint data length, the data deflated
	occurrenceV1 = 1 // version, flags, the fields
	occurrenceV2 = 2 // version, flags, change flags, the fields, the change's fields
)

// maxObjectData bounds the inflated size of a stored object, so that a
// damaged or hostile value cannot make a decode allocate without end.
const maxObjectData = 64 << 20

// compressMin is the size under which an object is stored as it came:
// deflating a few hundred bytes saves little and costs a writer.
const compressMin = 512

var (
	flateWriters = gosync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level: no error
		return w
	}}
	flateReaders = gosync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// The bits of an occurrence's flags.
const (
	occVanished  = 1 << iota // Vanished
	occMadeUpBy              // MadeUpBy is there
	occSeen                  // SeenAt is not zero
	occNanos                 // a time has nanoseconds: the four (three) ns are there
	occStartZone             // Start's offset is not OriginalStart's
	occEndZone               // End's offset is not Start's
	occSeenZone              // SeenAt's offset is not OriginalStart's
	occOrigShift             // OriginalStart is not the key's second: the difference follows
)

// The bits of an occurrence's second flags (occurrenceV2), for the fields
// of a change of its fate.
const (
	occChanged        = 1 << iota // ChangedAt is not zero
	occChangedZone                // ChangedAt's offset is not 0 (a provider's time is in UTC)
	occChangeSeen                 // ChangeSeen is not zero
	occChangeSeenZone             // ChangeSeen's offset is not OriginalStart's
	occChangedBy                  // ChangedBy is there
	occEstimated                  // Estimated
	occChangeNanos                // ChangedAt or ChangeSeen has nanoseconds: their ns are there

	occChangeFlags = 1<<iota - 1 // the bits in use
)

// stateText is the state code of a State not in calendar.States: its
// text follows.
const stateText = 0xff

// errShort is a value that ends before its fields do.
var errShort = errors.New("value too short")

// encodeObject is the value stored for an object: its data deflated
// (objectV2) when that is smaller, else as it came (objectV1).
func encodeObject(etag string, data []byte) ([]byte, error) {
	if len(data) > maxObjectData {
		return nil, fmt.Errorf("object of %d bytes, more than %d", len(data), maxObjectData)
	}
	head := func(version byte, n int) []byte {
		v := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(etag)+n)
		v = append(v, version)
		v = binary.AppendUvarint(v, uint64(len(etag)))
		return append(v, etag...)
	}
	if len(data) >= compressMin {
		var buf bytes.Buffer
		buf.Grow(len(data) / 3)
		w := flateWriters.Get().(*flate.Writer)
		w.Reset(&buf)
		_, err := w.Write(data)
		if err == nil {
			err = w.Close()
		}
		flateWriters.Put(w)
		if err != nil {
			return nil, fmt.Errorf("deflate: %w", err)
		}
		if buf.Len()+binary.MaxVarintLen64 < len(data) {
			v := binary.AppendUvarint(head(objectV2, buf.Len()), uint64(len(data)))
			return append(v, buf.Bytes()...), nil
		}
	}
	return append(head(objectV1, len(data)), data...), nil
}

// splitObject returns the ETag and the data of a value of encodeObject,
// both within v.
func splitObject(v []byte) (etag, data []byte, err error) {
	if len(v) == 0 {
		return nil, nil, errShort
	}
	if v[0] != objectV1 && v[0] != objectV2 {
		return nil, nil, fmt.Errorf("object encoding %d unknown", v[0])
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 {
		return nil, nil, errors.New("bad etag length")
	}
	rest := v[1+w:]
	if n > uint64(len(rest)) {
		return nil, nil, fmt.Errorf("etag of %d bytes in %d", n, len(rest))
	}
	return rest[:n], rest[n:], nil
}

// decodeObject reads a value of encodeObject. data is a copy: v may be
// bbolt's.
func decodeObject(v []byte) (etag string, data []byte, err error) {
	e, d, err := splitObject(v)
	if err != nil {
		return "", nil, err
	}
	if v[0] == objectV1 {
		return string(e), bytes.Clone(d), nil
	}
	n, w := binary.Uvarint(d)
	if w <= 0 {
		return "", nil, errors.New("bad data length")
	}
	if n > maxObjectData {
		return "", nil, fmt.Errorf("data of %d bytes, more than %d", n, maxObjectData)
	}
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(d[w:]), nil); err != nil {
		return "", nil, fmt.Errorf("inflate: %w", err)
	}
	// One byte more than declared tells a longer stream from a right one.
	data = make([]byte, 0, min(n, uint64(len(d))*16)+1)
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, io.LimitReader(r, int64(n)+1)); err != nil {
		return "", nil, fmt.Errorf("inflate: %w", err)
	}
	if uint64(buf.Len()) != n {
		return "", nil, fmt.Errorf("data inflates to %d bytes, %d declared", buf.Len(), n)
	}
	return string(e), buf.Bytes(), nil
}

// decodeObjectETag reads only the ETag of a value of encodeObject.
func decodeObjectETag(v []byte) (string, error) {
	e, _, err := splitObject(v)
	if err != nil {
		return "", err
	}
	return string(e), nil
}

// storedStates are the states by their stored code, from 1 (0 is ""): a
// code, once written, means its state for good, so new states go at the
// end. A state not here is stored as its text.
var storedStates = []calendar.State{calendar.StateHeld, calendar.StatePostponed, calendar.StateAdvanced,
	calendar.StateSkipped, calendar.StateDeclined, calendar.StateUpcoming}

// stateCodes is storedStates' inverse.
var stateCodes = func() map[calendar.State]byte {
	m := make(map[calendar.State]byte, len(storedStates))
	for i, s := range storedStates {
		m[s] = byte(i + 1)
	}
	return m
}()

// encodeOccurrence is the value stored for an occurrence, under the key
// series ID \x00 o.Key().
func encodeOccurrence(o calendar.Occurrence) ([]byte, error) {
	return encodeOccurrenceAt(o.OriginalStart.Unix(), o)
}

// encodeOccurrenceAt is encodeOccurrence under a key whose original start
// is Unix second keySec (the migration's: schema 2's key and value could
// differ).
func encodeOccurrenceAt(keySec int64, o calendar.Occurrence) ([]byte, error) {
	for _, t := range []time.Time{o.OriginalStart, o.Start, o.End, o.SeenAt, o.ChangedAt, o.ChangeSeen} {
		// What schema 2 (JSON, RFC 3339) refused, and what the key cannot hold.
		if y := t.Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("encode occurrence %s of %s: year %d outside of [0,9999]", o.Key(), o.SeriesID, y)
		}
	}
	var flags byte
	if o.Vanished {
		flags |= occVanished
	}
	if o.MadeUpBy != "" {
		flags |= occMadeUpBy
	}
	seen := !o.SeenAt.IsZero()
	if seen {
		flags |= occSeen
	}
	if o.OriginalStart.Nanosecond()|o.Start.Nanosecond()|o.End.Nanosecond()|o.SeenAt.Nanosecond() != 0 {
		flags |= occNanos
	}
	offOrig, offStart, offEnd, offSeen := offset(o.OriginalStart), offset(o.Start), offset(o.End), offset(o.SeenAt)
	if offStart != offOrig {
		flags |= occStartZone
	}
	if offEnd != offStart {
		flags |= occEndZone
	}
	if seen && offSeen != offOrig {
		flags |= occSeenZone
	}
	code, known := stateCodes[o.State]
	if !known && o.State != "" {
		code = stateText
	}
	orig := o.OriginalStart.Unix()
	if orig != keySec {
		flags |= occOrigShift
	}
	changed, changeSeen := !o.ChangedAt.IsZero(), !o.ChangeSeen.IsZero()
	offChanged, offChangeSeen := offset(o.ChangedAt), offset(o.ChangeSeen)
	var flags2 byte
	if changed {
		flags2 |= occChanged
		if offChanged != 0 {
			flags2 |= occChangedZone
		}
	}
	if changeSeen {
		flags2 |= occChangeSeen
		if offChangeSeen != offOrig {
			flags2 |= occChangeSeenZone
		}
	}
	if o.ChangedBy != "" {
		flags2 |= occChangedBy
	}
	if o.Estimated {
		flags2 |= occEstimated
	}
	if o.ChangedAt.Nanosecond()|o.ChangeSeen.Nanosecond() != 0 {
		flags2 |= occChangeNanos
	}
	v := make([]byte, 0, 48+len(o.Pair.A)+len(o.Pair.B)+len(o.MadeUpBy)+len(o.ChangedBy))
	if flags2 == 0 {
		v = append(v, occurrenceV1, flags, code)
	} else {
		v = append(v, occurrenceV2, flags, flags2, code)
	}
	if code == stateText {
		v = appendString(v, string(o.State))
	}
	v = appendString(v, o.Pair.A)
	v = appendString(v, o.Pair.B)
	if flags&occOrigShift != 0 {
		v = binary.AppendVarint(v, orig-keySec)
	}
	v = binary.AppendVarint(v, int64(offOrig))
	v = binary.AppendVarint(v, o.Start.Unix()-orig)
	if flags&occStartZone != 0 {
		v = binary.AppendVarint(v, int64(offStart))
	}
	v = binary.AppendVarint(v, o.End.Unix()-o.Start.Unix())
	if flags&occEndZone != 0 {
		v = binary.AppendVarint(v, int64(offEnd))
	}
	if seen {
		v = binary.AppendVarint(v, o.SeenAt.Unix()-orig)
		if flags&occSeenZone != 0 {
			v = binary.AppendVarint(v, int64(offSeen))
		}
	}
	if flags&occMadeUpBy != 0 {
		v = appendString(v, o.MadeUpBy)
	}
	if flags&occNanos != 0 {
		v = binary.AppendUvarint(v, uint64(o.OriginalStart.Nanosecond()))
		v = binary.AppendUvarint(v, uint64(o.Start.Nanosecond()))
		v = binary.AppendUvarint(v, uint64(o.End.Nanosecond()))
		if seen {
			v = binary.AppendUvarint(v, uint64(o.SeenAt.Nanosecond()))
		}
	}
	if changed {
		v = binary.AppendVarint(v, o.ChangedAt.Unix()-orig)
		if flags2&occChangedZone != 0 {
			v = binary.AppendVarint(v, int64(offChanged))
		}
	}
	if changeSeen {
		v = binary.AppendVarint(v, o.ChangeSeen.Unix()-orig)
		if flags2&occChangeSeenZone != 0 {
			v = binary.AppendVarint(v, int64(offChangeSeen))
		}
	}
	if flags2&occChangedBy != 0 {
		v = appendString(v, o.ChangedBy)
	}
	if flags2&occChangeNanos != 0 {
		if changed {
			v = binary.AppendUvarint(v, uint64(o.ChangedAt.Nanosecond()))
		}
		if changeSeen {
			v = binary.AppendUvarint(v, uint64(o.ChangeSeen.Nanosecond()))
		}
	}
	return v, nil
}

func offset(t time.Time) int {
	_, off := t.Zone()
	return off
}

func appendString(v []byte, s string) []byte {
	v = binary.AppendUvarint(v, uint64(len(s)))
	return append(v, s...)
}

// occReader reads the fields of an occurrence's value in turn; the first
// error sticks.
type occReader struct {
	v   []byte
	err error
}

func (r *occReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.v = nil
}

func (r *occReader) byte() byte {
	if len(r.v) == 0 {
		r.fail(errShort)
		return 0
	}
	b := r.v[0]
	r.v = r.v[1:]
	return b
}

func (r *occReader) varint() int64 {
	x, n := binary.Varint(r.v)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.v = r.v[n:]
	return x
}

// bytes reads a length and that many bytes, within the value: a hostile
// length allocates nothing.
func (r *occReader) bytes() []byte {
	n, w := binary.Uvarint(r.v)
	if w <= 0 || n > uint64(len(r.v)-w) {
		r.fail(errShort)
		return nil
	}
	b := r.v[w : w+int(n)]
	r.v = r.v[w+int(n):]
	return b
}

// offset reads a zone offset: within a day either way.
func (r *occReader) offset() int {
	off := r.varint()
	if off <= -86400 || off >= 86400 {
		r.fail(fmt.Errorf("zone offset %d out of range", off))
		return 0
	}
	return int(off)
}

func (r *occReader) nanos() int64 {
	n, w := binary.Uvarint(r.v)
	if w <= 0 || n >= 1e9 {
		r.fail(errors.New("bad nanoseconds"))
		return 0
	}
	r.v = r.v[w:]
	return int64(n)
}

// add is base+d, failing on an overflow.
func (r *occReader) add(base, d int64) int64 {
	s := base + d
	if (d > 0 && s < base) || (d < 0 && s > base) {
		r.fail(errors.New("time out of range"))
		return 0
	}
	return s
}

// decodeOccurrence reads the occurrence stored as v under key k.
func decodeOccurrence(k, v []byte) (calendar.Occurrence, error) {
	var o calendar.Occurrence
	i := bytes.IndexByte(k, 0)
	if i <= 0 {
		return o, errors.New("key without a series ID")
	}
	keySec, err := parseOccKey(k[i+1:])
	if err != nil {
		return o, err
	}
	r := occReader{v: v}
	ver := r.byte()
	if r.err == nil && ver != occurrenceV1 && ver != occurrenceV2 {
		return o, fmt.Errorf("occurrence encoding %d unknown", ver)
	}
	flags := r.byte()
	var flags2 byte
	if ver == occurrenceV2 {
		flags2 = r.byte()
		if flags2&^occChangeFlags != 0 {
			r.fail(fmt.Errorf("change flags %#x unknown", flags2&^occChangeFlags))
		}
	}
	code := r.byte()
	switch {
	case code == stateText:
		o.State = calendar.State(r.bytes())
	case code == 0:
	case int(code) <= len(storedStates):
		o.State = storedStates[code-1]
	default:
		r.fail(fmt.Errorf("state %d unknown", code))
	}
	o.Pair.A = string(r.bytes())
	o.Pair.B = string(r.bytes())
	orig := keySec
	if flags&occOrigShift != 0 {
		orig = r.add(keySec, r.varint())
	}
	offOrig := r.offset()
	start := r.add(orig, r.varint())
	offStart := offOrig
	if flags&occStartZone != 0 {
		offStart = r.offset()
	}
	end := r.add(start, r.varint())
	offEnd := offStart
	if flags&occEndZone != 0 {
		offEnd = r.offset()
	}
	var seen int64
	offSeen := offOrig
	if flags&occSeen != 0 {
		seen = r.add(orig, r.varint())
		if flags&occSeenZone != 0 {
			offSeen = r.offset()
		}
	}
	if flags&occMadeUpBy != 0 {
		o.MadeUpBy = string(r.bytes())
	}
	var nsOrig, nsStart, nsEnd, nsSeen int64
	if flags&occNanos != 0 {
		nsOrig, nsStart, nsEnd = r.nanos(), r.nanos(), r.nanos()
		if flags&occSeen != 0 {
			nsSeen = r.nanos()
		}
	}
	var changed, changeSeen int64
	offChanged, offChangeSeen := 0, offOrig
	if flags2&occChanged != 0 {
		changed = r.add(orig, r.varint())
		if flags2&occChangedZone != 0 {
			offChanged = r.offset()
		}
	}
	if flags2&occChangeSeen != 0 {
		changeSeen = r.add(orig, r.varint())
		if flags2&occChangeSeenZone != 0 {
			offChangeSeen = r.offset()
		}
	}
	if flags2&occChangedBy != 0 {
		o.ChangedBy = string(r.bytes())
	}
	var nsChanged, nsChangeSeen int64
	if flags2&occChangeNanos != 0 {
		if flags2&occChanged != 0 {
			nsChanged = r.nanos()
		}
		if flags2&occChangeSeen != 0 {
			nsChangeSeen = r.nanos()
		}
	}
	if r.err == nil && len(r.v) > 0 {
		r.fail(fmt.Errorf("%d bytes after the occurrence", len(r.v)))
	}
	if r.err != nil {
		return calendar.Occurrence{}, fmt.Errorf("decode occurrence: %w", r.err)
	}
	for _, s := range []int64{orig, start, end, seen, changed, changeSeen} {
		if s < minSec || s > maxSec { // before time.Unix's arithmetic
			return calendar.Occurrence{}, errors.New("decode occurrence: time out of range")
		}
	}
	o.SeriesID = string(k[:i])
	o.OriginalStart = zoned(orig, nsOrig, offOrig)
	o.Start = zoned(start, nsStart, offStart)
	o.End = zoned(end, nsEnd, offEnd)
	if flags&occSeen != 0 {
		o.SeenAt = zoned(seen, nsSeen, offSeen)
	}
	o.Vanished = flags&occVanished != 0
	if flags2&occChanged != 0 {
		o.ChangedAt = zoned(changed, nsChanged, offChanged)
	}
	if flags2&occChangeSeen != 0 {
		o.ChangeSeen = zoned(changeSeen, nsChangeSeen, offChangeSeen)
	}
	o.Estimated = flags2&occEstimated != 0
	for _, t := range []time.Time{o.OriginalStart, o.Start, o.End, o.SeenAt, o.ChangedAt, o.ChangeSeen} {
		if y := t.Year(); y < 0 || y > 9999 { // what encodeOccurrence refuses
			return calendar.Occurrence{}, fmt.Errorf("decode occurrence: year %d outside of [0,9999]", y)
		}
	}
	return o, nil
}

// The Unix seconds of 0000-01-01 and of the end of 9999, UTC, widened by a
// day for the offsets: the years encodeOccurrence writes.
var (
	minSec = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 86400
	maxSec = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + 86400
)

// zoned is the time at Unix seconds sec and nsec with offset off, in the
// location the JSON decoding of its RFC 3339 text would give it.
func zoned(sec, nsec int64, off int) time.Time {
	t := time.Unix(sec, nsec)
	if off == 0 {
		return t.UTC()
	}
	if l := t.In(time.Local); offset(l) == off {
		return l
	}
	return t.In(fixedZone(off))
}

// quarterZones holds the fixed zones made for offsets of whole quarter
// hours within ±16 h (every zone in use today), by quarter hour + 64;
// zones, those of other offsets.
var (
	quarterZones [129]atomic.Pointer[time.Location]
	zones        gosync.Map // offset → *time.Location
)

// fixedZone is time.FixedZone("", off), made once per offset.
func fixedZone(off int) *time.Location {
	if off%900 == 0 && off >= -64*900 && off <= 64*900 {
		p := &quarterZones[off/900+64]
		if l := p.Load(); l != nil {
			return l
		}
		l := time.FixedZone("", off)
		p.CompareAndSwap(nil, l)
		return p.Load()
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

// parseOccKey reads the original start in a key's tail (20060102T150405Z)
// as Unix seconds.
func parseOccKey(b []byte) (int64, error) {
	if len(b) != len("20060102T150405Z") || b[8] != 'T' || b[15] != 'Z' {
		return 0, fmt.Errorf("key %q is not a start in UTC", b)
	}
	num := func(s []byte) int {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, s := num(b[0:4]), num(b[4:6]), num(b[6:8]), num(b[9:11]), num(b[11:13]), num(b[13:15])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return 0, fmt.Errorf("key %q is not a start in UTC", b)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
	if t.Day() != d {
		return 0, fmt.Errorf("key %q is not a start in UTC", b)
	}
	return t.Unix(), nil
}
