package ical

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // TZIDs resolve the same on hosts without a zoneinfo database

	"github.com/emersion/go-ical"

	"oneonone/calendar/recur"
)

// zoneResolver turns the TZID parameters of one VCALENDAR into locations
// (RFC 5545 §3.2.19, §3.6.5). It caches per calendar; the expensive parts
// (IANA loads, locations built from VTIMEZONE) are cached process-wide.
type zoneResolver struct {
	vtz      map[string]*ical.Component // VTIMEZONE by normalized TZID
	floating *time.Location             // X-WR-TIMEZONE, else the default zone
	def      *time.Location             // ParseOptions.DefaultZone, never nil
	cache    map[string]zoneResult
}

type zoneResult struct {
	loc *time.Location
	err error // non-nil when loc is an approximation or the default zone
}

func newZoneResolver(vtz []*ical.Component, def *time.Location) *zoneResolver {
	if def == nil {
		def = time.UTC
	}
	r := &zoneResolver{
		vtz:      make(map[string]*ical.Component, len(vtz)),
		floating: def,
		def:      def,
		cache:    make(map[string]zoneResult),
	}
	for _, c := range vtz {
		p := c.Props.Get(ical.PropTimezoneID)
		if p == nil {
			continue
		}
		id := normalizeTZID(unescapeText(p.Value))
		if id == "" {
			continue
		}
		if _, dup := r.vtz[id]; !dup {
			r.vtz[id] = c
		}
	}
	return r
}

// normalizeTZID trims what producers wrap around a TZID: blanks, quotes
// (go-ical keeps none, other parsers do) and a stray trailing colon.
func normalizeTZID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, `"`)
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ":")
	return strings.TrimSpace(s)
}

// resolve maps a TZID to a location, in this order: an IANA name; the
// VTIMEZONE's X-LIC-LOCATION; the IANA suffix of a path-like TZID
// ("/mozilla.org/20050126_1/Europe/Berlin"); a Windows zone name (CLDR
// windowsZones); a Windows display name ("(UTC+01:00) Amsterdam, Berlin,
// Bern, Rome, Stockholm, Vienna"); a location built from the VTIMEZONE's
// observances; a zone chosen by the offsets spelled in the name
// ("GMT-05.00/-04.00", "(UTC-05:00) Somewhere", see byOffsets). An unknown
// TZID gets the default zone. Whenever the result is not exact,
// err says so and loc is still usable.
func (r *zoneResolver) resolve(tzid string) (*time.Location, error) {
	id := normalizeTZID(tzid)
	if res, ok := r.cache[id]; ok {
		return res.loc, res.err
	}
	res := r.lookup(id)
	r.cache[id] = res
	return res.loc, res.err
}

func (r *zoneResolver) lookup(id string) zoneResult {
	if id == "" {
		return zoneResult{r.def, errors.New("empty TZID")}
	}
	if loc := loadIANA(id); loc != nil {
		return zoneResult{loc: loc}
	}
	vtz := r.vtz[id]
	if vtz != nil {
		if p := vtz.Props.Get("X-LIC-LOCATION"); p != nil {
			if loc := loadIANA(normalizeTZID(p.Value)); loc != nil {
				return zoneResult{loc: loc}
			}
		}
	}
	if loc := ianaSuffix(id); loc != nil {
		return zoneResult{loc: loc}
	}
	if name, ok := windowsZone(id); ok {
		if loc := loadIANA(name); loc != nil {
			return zoneResult{loc: loc}
		}
	}
	if name, ok := windowsDisplayZone(id); ok {
		if loc := loadIANA(name); loc != nil {
			return zoneResult{loc: loc}
		}
	}
	var vtzErr error
	if vtz != nil {
		loc, err := locationFromVTimezone(id, vtz)
		if err == nil {
			return zoneResult{loc: loc}
		}
		vtzErr = err
	}
	if res, ok := r.byOffsets(id); ok {
		return res
	}
	if vtzErr != nil {
		return zoneResult{r.def, fmt.Errorf("unknown time zone %q (%v): using %s", id, vtzErr, r.def)}
	}
	return zoneResult{r.def, fmt.Errorf("unknown time zone %q: using %s", id, r.def)}
}

// ianaCache holds time.LoadLocation results by name, failures included.
var ianaCache = struct {
	sync.Mutex
	m map[string]*time.Location
}{m: make(map[string]*time.Location)}

const maxZoneCache = 4096

// loadIANA returns the IANA zone called name, or nil. "Local" is refused: a
// calendar never means the host's zone.
func loadIANA(name string) *time.Location {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil
	}
	switch strings.ToUpper(name) {
	case "UTC", "Z", "GMT", "ETC/UTC", "ETC/GMT", "TZONE://MICROSOFT/UTC":
		return time.UTC
	}
	ianaCache.Lock()
	loc, ok := ianaCache.m[name]
	ianaCache.Unlock()
	if ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil && strings.Contains(name, " ") {
		loc, err = time.LoadLocation(strings.ReplaceAll(name, " ", "_"))
	}
	if err != nil {
		loc = nil
	}
	ianaCache.Lock()
	if len(ianaCache.m) < maxZoneCache {
		ianaCache.m[name] = loc
	}
	ianaCache.Unlock()
	return loc
}

// ianaSuffix finds an IANA name at the end of a path-like TZID, as written by
// Mozilla ("/mozilla.org/20050126_1/Europe/Berlin"), Citadel and libical.
func ianaSuffix(id string) *time.Location {
	if !strings.Contains(id, "/") {
		return nil
	}
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for n := 3; n >= 1; n-- {
		if len(parts) < n {
			continue
		}
		cand := strings.Join(parts[len(parts)-n:], "/")
		if cand == id {
			continue
		}
		if n == 1 && !strings.Contains(cand, "UTC") && !strings.Contains(cand, "GMT") {
			// A lone last segment ("Berlin") is no zone name.
			continue
		}
		if loc := loadIANA(cand); loc != nil {
			return loc
		}
	}
	return nil
}

// offsetsFromName reads the UTC offsets spelled in a zone's name: the
// standard one ("(UTC-05:00) …", "GMT+0100", "UTC-3") and, in the form
// Lotus Notes and older Outlook write ("GMT-05.00/-04.00"), the daylight
// one after a slash (hasDST).
func offsetsFromName(id string) (std, dst int, hasDST, ok bool) {
	up := strings.ToUpper(id)
	for _, prefix := range []string{"UTC", "GMT"} {
		i := strings.Index(up, prefix)
		if i < 0 {
			continue
		}
		off, rest, ok := readNameOffset(strings.TrimSpace(up[i+len(prefix):]))
		if !ok {
			continue
		}
		if rest = strings.TrimSpace(rest); len(rest) > 1 && rest[0] == '/' {
			if d, _, ok := readNameOffset(strings.TrimSpace(rest[1:])); ok {
				return off, d, true, true
			}
		}
		return off, off, false, true
	}
	return 0, 0, false, false
}

// readNameOffset reads "+hh", "+h", "+hh:mm", "+hh.mm" or "+hhmm" at the
// start of s and returns the offset in seconds and what follows.
func readNameOffset(s string) (off int, rest string, ok bool) {
	if s == "" || (s[0] != '+' && s[0] != '-') {
		return 0, s, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = strings.TrimSpace(s[1:])
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	var h, m int
	switch {
	case digits == 0:
		return 0, s, false
	case digits <= 2:
		h, _ = strconv.Atoi(s[:digits])
		rest = s[digits:]
		if len(rest) >= 3 && (rest[0] == ':' || rest[0] == '.') && isDigit(rest[1]) && isDigit(rest[2]) {
			m, _ = strconv.Atoi(rest[1:3])
			rest = rest[3:]
		}
	case digits == 4:
		h, _ = strconv.Atoi(s[:2])
		m, _ = strconv.Atoi(s[2:4])
		rest = s[4:]
	default:
		return 0, s, false
	}
	if h > 14 || m > 59 {
		return 0, s, false
	}
	return sign * (h*3600 + m*60), rest, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// offsetRefYear is the year whose January and July offsets stand for a
// zone's standard and daylight offsets when a TZID gives only offsets. A
// fixed year keeps the choice the same on every run.
const offsetRefYear = 2025

// zoneOffsets returns the standard and daylight offsets of loc in
// offsetRefYear: the smaller and the larger of its mid-January and mid-July
// offsets (equal when it keeps no daylight time; either hemisphere).
func zoneOffsets(loc *time.Location) (std, dst int) {
	_, jan := time.Date(offsetRefYear, 1, 15, 12, 0, 0, 0, time.UTC).In(loc).Zone()
	_, jul := time.Date(offsetRefYear, 7, 15, 12, 0, 0, 0, time.UTC).In(loc).Zone()
	return min(jan, jul), max(jan, jul)
}

// offsetZones is the zone chosen for a pair of standard and daylight
// offsets (minutes) when the default zone does not have them: the zone most
// calendars with those offsets mean. Other pairs take the first, by IANA
// name, of windowsZones' zones that has them.
var offsetZones = map[[2]int]string{
	{-600, -540}: "America/Adak",
	{-540, -480}: "America/Anchorage",
	{-480, -420}: "America/Los_Angeles",
	{-420, -360}: "America/Denver",
	{-360, -300}: "America/Chicago",
	{-300, -240}: "America/New_York",
	{-240, -180}: "America/Halifax",
	{-210, -150}: "America/St_Johns",
	{-60, 0}:     "Atlantic/Azores",
	{0, 60}:      "Europe/London",
	{60, 120}:    "Europe/Berlin",
	{120, 180}:   "Europe/Bucharest",
	{570, 630}:   "Australia/Adelaide",
	{600, 660}:   "Australia/Sydney",
	{720, 780}:   "Pacific/Auckland",
}

// offsetCandidates is windowsZones' IANA zones, sorted, without duplicates.
var offsetCandidates = sync.OnceValue(func() []string {
	seen := make(map[string]bool)
	var out []string
	for _, name := range windowsZones {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
})

// byOffsets resolves a TZID that names its zone only by UTC offsets. With
// both offsets ("GMT-05.00/-04.00"): the default zone when it has them, else
// offsetZones' zone for them, else the first zone of offsetCandidates that
// has them. With only the standard offset ("(UTC-05:00) Somewhere" that is
// no Windows display name): the default zone when its standard offset is
// that one. Otherwise the fixed offset. Each is reported, as it is a guess.
func (r *zoneResolver) byOffsets(id string) (zoneResult, bool) {
	std, dst, hasDST, ok := offsetsFromName(id)
	if !ok {
		return zoneResult{}, false
	}
	fixed := time.FixedZone(formatOffset(std), std)
	spelled := formatOffset(std)
	if hasDST {
		spelled += "/" + formatOffset(dst)
	}
	guess := func(loc *time.Location) (zoneResult, bool) {
		return zoneResult{loc, fmt.Errorf("time zone %q known only by its UTC offsets %s: read as %s", id, spelled, loc)}, true
	}
	lo, hi := min(std, dst), max(std, dst)
	if ds, dd := zoneOffsets(r.def); ds == lo && (dd == hi || !hasDST) {
		return guess(r.def)
	}
	if !hasDST {
		return zoneResult{fixed, fmt.Errorf("unknown time zone %q: using its fixed offset %s (daylight time unknown)", id, fixed)}, true
	}
	if name, ok := offsetZones[[2]int{lo / 60, hi / 60}]; ok && lo%60 == 0 && hi%60 == 0 {
		if loc := loadIANA(name); loc != nil {
			return guess(loc)
		}
	}
	for _, name := range offsetCandidates() {
		if loc := loadIANA(name); loc != nil {
			if s, d := zoneOffsets(loc); s == lo && d == hi {
				return guess(loc)
			}
		}
	}
	return zoneResult{fixed, fmt.Errorf("unknown time zone %q: no zone has its UTC offsets %s: using the fixed offset %s", id, spelled, fixed)}, true
}

func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60)
}

// parseUTCOffset reads a UTC-OFFSET value (RFC 5545 §3.3.14): ±hhmm[ss].
func parseUTCOffset(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("invalid UTC offset %q", s)
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid UTC offset %q", s)
		}
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	sec := 0
	if len(s) == 7 {
		sec, _ = strconv.Atoi(s[5:7])
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, fmt.Errorf("invalid UTC offset %q", s)
	}
	n := h*3600 + m*60 + sec
	if s[0] == '-' {
		n = -n
	}
	return n, nil
}

// vtzCache holds locations built from VTIMEZONE components, keyed by TZID
// and a hash of the component's content.
var vtzCache = struct {
	sync.Mutex
	m map[string]vtzEntry
}{m: make(map[string]vtzEntry)}

type vtzEntry struct {
	loc *time.Location
	err error
}

// Years for which transitions are computed from a VTIMEZONE. Outside them the
// nearest known offset holds.
const (
	vtzFirstYear = 1900
	vtzLastYear  = 2200
	// vtzMaxOnsets bounds the onsets one observance rule may generate.
	vtzMaxOnsets = 5000
)

// locationFromVTimezone builds a location from the STANDARD and DAYLIGHT
// observances of a VTIMEZONE (RFC 5545 §3.6.5): each onset (DTSTART, RRULE,
// RDATE, in local time before the change) switches to TZOFFSETTO. The
// transitions are written as TZif data and loaded with the time package.
func locationFromVTimezone(id string, vtz *ical.Component) (loc *time.Location, err error) {
	key := id + "\x00" + componentDigest(vtz)
	vtzCache.Lock()
	e, ok := vtzCache.m[key]
	vtzCache.Unlock()
	if ok {
		return e.loc, e.err
	}
	defer func() {
		if r := recover(); r != nil {
			loc, err = nil, fmt.Errorf("build zone from VTIMEZONE: panic: %v", r)
		}
		vtzCache.Lock()
		if len(vtzCache.m) >= maxZoneCache {
			clear(vtzCache.m)
		}
		vtzCache.m[key] = vtzEntry{loc, err}
		vtzCache.Unlock()
	}()
	return buildVTimezone(id, vtz)
}

func componentDigest(c *ical.Component) string {
	h := fnv.New64a()
	var walk func(c *ical.Component)
	walk = func(c *ical.Component) {
		h.Write([]byte(c.Name))
		names := make([]string, 0, len(c.Props))
		for n := range c.Props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, p := range c.Props[n] {
				h.Write([]byte{0})
				h.Write([]byte(n))
				pn := make([]string, 0, len(p.Params))
				for k := range p.Params {
					pn = append(pn, k)
				}
				sort.Strings(pn)
				for _, k := range pn {
					h.Write([]byte(";" + k + "=" + strings.Join(p.Params[k], ",")))
				}
				h.Write([]byte(":" + p.Value))
			}
		}
		for _, ch := range c.Children {
			h.Write([]byte{1})
			walk(ch)
		}
		h.Write([]byte{2})
	}
	walk(c)
	return strconv.FormatUint(h.Sum64(), 16)
}

type tzOnset struct {
	at   int64 // Unix seconds
	kind int   // index into kinds
}

type tzKind struct {
	off   int
	isDST bool
	name  string
}

func buildVTimezone(id string, vtz *ical.Component) (*time.Location, error) {
	var (
		kinds  []tzKind
		onsets []tzOnset
		first  = struct {
			at  int64
			off int
			set bool
		}{}
	)
	kindIndex := func(k tzKind) int {
		for i, x := range kinds {
			if x == k {
				return i
			}
		}
		kinds = append(kinds, k)
		return len(kinds) - 1
	}
	lo := time.Date(vtzFirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(vtzLastYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, obs := range vtz.Children {
		if obs.Name != "STANDARD" && obs.Name != "DAYLIGHT" {
			continue
		}
		toP := obs.Props.Get("TZOFFSETTO")
		if toP == nil {
			continue
		}
		to, err := parseUTCOffset(toP.Value)
		if err != nil || to <= -26*3600 || to >= 26*3600 {
			continue
		}
		from := to
		if p := obs.Props.Get("TZOFFSETFROM"); p != nil {
			if f, err := parseUTCOffset(p.Value); err == nil && f > -26*3600 && f < 26*3600 {
				from = f
			}
		}
		name := ""
		if p := obs.Props.Get("TZNAME"); p != nil {
			name = sanitizeAbbrev(unescapeText(p.Value))
		}
		if name == "" {
			name = formatOffset(to)
		}
		k := kindIndex(tzKind{off: to, isDST: obs.Name == "DAYLIGHT", name: name})

		// Onsets are local times before the change (offset "from").
		var walls []time.Time
		startP := obs.Props.Get(ical.PropDateTimeStart)
		if startP == nil {
			continue
		}
		start, isUTC, _, err := recur.ParseWall(startP.Value, startP.Params.Get(ical.ParamValue))
		if err != nil {
			continue
		}
		if isUTC {
			start = start.Add(time.Duration(from) * time.Second)
		}
		walls = append(walls, start)
		for _, rp := range obs.Props.Values(ical.PropRecurrenceRule) {
			spec, _, err := recur.ParseRule(rp.Value, start, recur.KindFloating, func(u time.Time) time.Time {
				return u.Add(time.Duration(from) * time.Second)
			})
			if err != nil {
				continue
			}
			// Onsets before the first year only decide the initial offset:
			// start two years early (the rule skips ahead to there).
			begin := lo.AddDate(-2, 0, 0)
			if start.After(begin) {
				begin = start
			}
			end := hi.Add(time.Duration(from) * time.Second)
			err = spec.Walk(begin, end, vtzMaxOnsets, func(w time.Time) bool {
				walls = append(walls, w)
				return true
			})
			if err != nil {
				// Never keep a zone with transitions missing.
				return nil, fmt.Errorf("VTIMEZONE %s RRULE: %w", obs.Name, err)
			}
		}
		for _, rp := range obs.Props.Values(ical.PropRecurrenceDates) {
			for _, v := range recur.SplitList(rp.Value) {
				if i := strings.IndexByte(v, '/'); i >= 0 {
					v = v[:i]
				}
				w, isUTC, _, err := recur.ParseWall(v, "")
				if err != nil {
					continue
				}
				if isUTC {
					w = w.Add(time.Duration(from) * time.Second)
				}
				walls = append(walls, w)
				if len(walls) > 2*vtzMaxOnsets {
					break
				}
			}
		}
		for _, w := range walls {
			at := w.Unix() - int64(from)
			if !first.set || at < first.at {
				first.at, first.off, first.set = at, from, true
			}
			onsets = append(onsets, tzOnset{at: at, kind: k})
		}
	}
	if len(onsets) == 0 {
		return nil, errors.New("VTIMEZONE has no usable STANDARD or DAYLIGHT observance")
	}
	sort.SliceStable(onsets, func(i, j int) bool { return onsets[i].at < onsets[j].at })

	// Keep the last onset before the first year as the start, drop later
	// duplicates at the same instant (the later observance wins) and trim.
	var tx []tzOnset
	initial := tzKind{off: first.off, name: formatOffset(first.off)}
	for _, o := range onsets {
		if o.at < lo.Unix() {
			initial = kinds[o.kind]
			continue
		}
		if o.at >= hi.Unix() {
			break
		}
		if n := len(tx); n > 0 && tx[n-1].at == o.at {
			tx[n-1] = o
			continue
		}
		tx = append(tx, o)
	}
	if len(kinds) > 200 {
		return nil, errors.New("VTIMEZONE has too many observances")
	}
	return time.LoadLocationFromTZData(id, encodeTZif(initial, kinds, tx))
}

// sanitizeAbbrev keeps a TZNAME usable as a zone abbreviation.
func sanitizeAbbrev(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			b.WriteRune(r)
		}
		if b.Len() >= 16 {
			break
		}
	}
	return b.String()
}

// encodeTZif writes a version 2 TZif file (RFC 8536) with an empty v1 block.
// Type 0 is the zone in force before the first transition and is used by no
// transition, which is how the time package picks it for earlier instants.
func encodeTZif(initial tzKind, kinds []tzKind, tx []tzOnset) []byte {
	all := append([]tzKind{initial}, kinds...)
	var abbrev []byte
	idx := make([]byte, len(all))
	for i, k := range all {
		idx[i] = byte(len(abbrev))
		abbrev = append(abbrev, k.name...)
		abbrev = append(abbrev, 0)
	}
	header := func(b []byte, timecnt, typecnt, charcnt int) []byte {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return b
	}
	b := header(nil, 0, 0, 0)
	b = header(b, len(tx), len(all), len(abbrev))
	for _, t := range tx {
		b = binary.BigEndian.AppendUint64(b, uint64(t.at))
	}
	for _, t := range tx {
		b = append(b, byte(t.kind+1))
	}
	for i, k := range all {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(k.off)))
		dst := byte(0)
		if k.isDST {
			dst = 1
		}
		b = append(b, dst, idx[i])
	}
	b = append(b, abbrev...)
	b = append(b, '\n', '\n')
	return b
}
