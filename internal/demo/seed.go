// Package demo seeds the calendar that `oneonone demo` serves from its
// embedded CalDAV server: a manager, the people she meets 1:1, a few months
// of those meetings with everything that happens to real 1:1s (skips,
// moves, declines, a make-up, a split series, an ended one), the noise that
// must not be taken for a 1:1, and what every occurrence should be classified
// as.
//
// The objects are iCalendar text as CalDAV servers store it (RFC 4791 §4.1:
// one object per UID, a recurring master with its overrides), written here
// with the standard library only.
package demo

import (
	"crypto/sha1"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"oneonone/calendar"
)

// Calendar names of the seed.
const (
	CalendarWork     = "work"     // every 1:1 and most of the noise
	CalendarPersonal = "personal" // noise only
)

// History and Ahead bound the occurrences listed in Team.Expect.
const (
	HistoryWeeks = 12
	AheadDays    = 14
)

// Relationships of a counterpart (docs/DESIGN.md, "Recognising a 1:1").
const (
	RelReport    = "report"
	RelSkipLevel = "skip-level"
	RelPeer      = "peer"
	RelMentor    = "mentor"
)

// Object is one calendar object resource (RFC 4791 §4.1).
type Object struct {
	Calendar string // CalendarWork or CalendarPersonal
	Name     string // object file name: "<uid>.ics"
	Data     []byte // one VCALENDAR, CRLF line endings, folded at 75 octets
}

// Person is someone in the seed. Email is lower-cased.
type Person struct {
	Name, Email, Relationship string // Relationship: report, skip-level, peer, mentor
}

// Team is the seeded calendar and what should be made of it.
type Team struct {
	Me      Person
	People  []Person // the counterparts of the 1:1 series, in seed order
	Objects []Object // sorted by Calendar, then Name
	Series  []SeriesInfo
	// Expect lists every occurrence of every 1:1 series whose original
	// start lies in [From, To), ordered by original start, then counterpart.
	Expect []Expectation
	// From is now.AddDate(0, 0, -7*HistoryWeeks) and To is
	// now.AddDate(0, 0, AheadDays), both in loc: calendar days at now's wall
	// clock, not multiples of 24 hours, across a DST change.
	From, To time.Time
}

// SeriesInfo describes one 1:1 series (one recurring master) of the seed.
type SeriesInfo struct {
	UID          string
	Title        string
	Counterpart  string // e-mail
	Relationship string
	Organizer    string // e-mail
	Cadence      calendar.Cadence
	Rule         string    // the RRULE value as written
	Start        time.Time // DTSTART
	Last         time.Time // last occurrence by UNTIL or COUNT; zero when open-ended
	Ended        bool      // Last is before now: the series is over (ended or split)
}

// Expectation is what one occurrence of a 1:1 series should be classified as.
type Expectation struct {
	Counterpart   string // e-mail, lower-cased
	UID           string // the series' UID
	OriginalStart time.Time
	Start         time.Time // actual start: OriginalStart unless moved or made up
	State         calendar.State
	Why           string // e.g. "EXDATE", "cancelled override", "moved +2d", "made up by one-off"
}

// Seed builds the team relative to now: HistoryWeeks weeks of history before
// now and AheadDays days after it, with weeks and wall-clock times in loc (nil
// means UTC). Every timed event is written with TZID=loc's name and a
// VTIMEZONE for it; the demo uses Europe/Berlin.
//
// Everything is placed by ISO week relative to now's week (week 0), so the
// output depends only on now and loc and is the same on every call. All
// changes (skips, moves, declines, the make-up) happen in weeks -11 to -1,
// whose occurrences, moved or not, have started before now whatever the day
// and hour of now; week -1, the last full ISO week, always holds a held, a
// skipped, a postponed and a declined occurrence. Occurrences of week 0 and
// after are unchanged: held when their start is before now (a meeting in
// progress at now counts as held), upcoming otherwise (a start equal to now
// is upcoming).
//
// UIDs do not depend on now; the dates do, so the seed is meant for a fresh
// store.
func Seed(now time.Time, loc *time.Location) Team {
	if loc == nil {
		loc = time.UTC
	}
	b := newBuilder(now, loc)
	b.build()
	return b.finish()
}

// Summary describes the team in one line, for the demo's banner.
func (t Team) Summary() string {
	rel := map[string]int{}
	for _, p := range t.People {
		rel[p.Relationship]++
	}
	var rels []string
	for _, r := range []struct{ key, one, many string }{
		{RelReport, "report", "reports"},
		{RelSkipLevel, "skip-level", "skip-levels"},
		{RelPeer, "peer", "peers"},
		{RelMentor, "mentor", "mentors"},
	} {
		switch n := rel[r.key]; n {
		case 0:
		case 1:
			rels = append(rels, "1 "+r.one)
		default:
			rels = append(rels, fmt.Sprintf("%d %s", n, r.many))
		}
	}
	cad := map[calendar.Cadence]int{}
	ended := 0
	for _, s := range t.Series {
		cad[s.Cadence]++
		if s.Ended {
			ended++
		}
	}
	var cads []string
	for _, c := range []calendar.Cadence{calendar.CadenceWeekly, calendar.CadenceBiweekly, calendar.CadenceMonthly, calendar.CadenceOther} {
		if cad[c] > 0 {
			cads = append(cads, fmt.Sprintf("%d %s", cad[c], c))
		}
	}
	cals := map[string]bool{}
	for _, o := range t.Objects {
		cals[o.Calendar] = true
	}
	return fmt.Sprintf("%s and %d people (%s): %d 1:1 series (%s; %d ended), %d calendar objects in %d calendars, %d occurrences from %s to %s",
		t.Me.Name, len(t.People), strings.Join(rels, ", "),
		len(t.Series), strings.Join(cads, ", "), ended,
		len(t.Objects), len(cals), len(t.Expect),
		t.From.Format("2006-01-02"), t.To.Format("2006-01-02"))
}

// The people. Addresses are lower-cased here; some objects spell them
// otherwise, as directories do.
var (
	anna  = Person{Name: "Anna Berg", Email: "anna@example.com"}
	bob   = Person{Name: "Bob Okafor", Email: "bob@example.com", Relationship: RelReport}
	chen  = Person{Name: "Chen Wei", Email: "chen@example.com", Relationship: RelReport}
	dana  = Person{Name: "Dana Kowalski", Email: "dana@example.com", Relationship: RelReport}
	elif  = Person{Name: "Elif Yılmaz", Email: "elif@example.com", Relationship: RelReport}
	farid = Person{Name: "Farid Haddad", Email: "farid.haddad@example.com", Relationship: RelSkipLevel}
	grace = Person{Name: "Grace Liu", Email: "grace@example.com", Relationship: RelPeer}
	hugo  = Person{Name: "Hugo Martin", Email: "hugo.martin@example.org", Relationship: RelMentor}
	ines  = Person{Name: "Inês Duarte", Email: "ines.duarte@example.net", Relationship: RelMentor}

	jonas  = Person{Name: "Jonas Weber", Email: "jonas@example.com"}
	katrin = Person{Name: "Katrin Vogel", Email: "katrin@example.com"}
	luca   = Person{Name: "Luca Rossi", Email: "luca@example.com"}
	kepler = Person{Name: "Room Kepler", Email: "room-kepler@example.com"}
)

// client is how one calendar client writes its objects.
type client struct {
	prodID        string
	upperUID      bool // Apple: upper-case UUIDs
	calscale      bool // CALSCALE:GREGORIAN
	appleParams   bool // CN always quoted, CUTYPE and EMAIL parameters
	orgAsAttendee bool // the organizer is also an ATTENDEE with ROLE=CHAIR
	multiExdate   bool // all EXDATEs in one multi-valued property
	alarm         bool // a VALARM in recurring masters
	extra         []string
}

var (
	apple = &client{
		prodID:        "-//Apple Inc.//macOS 15.1//EN",
		upperUID:      true,
		calscale:      true,
		appleParams:   true,
		orgAsAttendee: true,
		alarm:         true,
		extra:         []string{"X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC"},
	}
	nextcloud = &client{
		prodID:        "-//Nextcloud calendar v4.7.0",
		calscale:      true,
		orgAsAttendee: true,
		multiExdate:   true,
	}
	thunderbird = &client{
		prodID: "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
		alarm:  true,
		extra:  []string{"X-MOZ-GENERATION:2"},
	}
)

// uid returns a stable UUID-shaped UID (RFC 9562 version 5 layout) for label.
func (c *client) uid(label string) string {
	h := sha1.Sum([]byte("oneonone demo seed/" + label))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	s := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	if c.upperUID {
		s = strings.ToUpper(s)
	}
	return s
}

// attendee is one ATTENDEE (or the ORGANIZER) as written.
type attendee struct {
	p        Person
	partstat string
	role     string // REQ-PARTICIPANT unless set
	room     bool
}

// spelled holds addresses that objects write otherwise than lower-case, as
// directories hand them out.
var spelled = map[string]string{
	farid.Email: "Farid.Haddad@example.com",
}

func (a attendee) addr() string {
	if s, ok := spelled[a.p.Email]; ok {
		return s
	}
	return a.p.Email
}

// vevent is one VEVENT component.
type vevent struct {
	recurrenceID time.Time
	start, end   time.Time
	allDay       bool
	duration     time.Duration // written as DURATION instead of DTEND when set
	summary      string
	description  string
	location     string
	status       string
	transp       string
	organizer    *attendee
	attendees    []attendee
	rrule        string
	exdates      []time.Time
	sequence     int
	created      time.Time
	stamp        time.Time
	alarm        bool
}

// object is one calendar object resource before rendering.
type object struct {
	cal    string
	client *client
	uid    string
	events []vevent // master first
}

// rule is a recurrence of the kinds the seed uses.
type rule struct {
	weeks   int          // FREQ=WEEKLY;INTERVAL=weeks, when monthly is false
	monthly bool         // FREQ=MONTHLY;BYDAY=<nth><weekday>
	nth     int          // 1..4, monthly only
	weekday time.Weekday // monthly only; weekly rules recur on DTSTART's weekday
}

func (r rule) cadence() calendar.Cadence {
	switch {
	case r.monthly:
		return calendar.CadenceMonthly
	case r.weeks == 1:
		return calendar.CadenceWeekly
	case r.weeks == 2:
		return calendar.CadenceBiweekly
	}
	return calendar.CadenceOther
}

var byDay = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// What happens to one occurrence.
type changeKind int

const (
	chExdate  changeKind = iota + 1 // EXDATE on the master
	chCancel                        // override with STATUS:CANCELLED
	chMove                          // override with another DTSTART
	chDecline                       // override where decliner has PARTSTAT=DECLINED
	chMakeUp                        // cancelled override plus a one-off of the pair at to
)

type change struct {
	kind     changeKind
	to       time.Time // chMove, chMakeUp: the actual start
	decliner Person    // chDecline
}

// series is one recurring 1:1 (or noise) master with what happens to it.
type series struct {
	label       string // stable key for the UID
	cal         string
	client      *client
	counterpart Person // zero for noise
	organizer   Person
	others      []Person // further human attendees (noise only)
	room        bool
	title       string
	description string
	location    string
	first       time.Time // DTSTART, local
	dur         time.Duration
	useDuration bool
	allDay      bool
	rule        rule
	ruleText    string    // RRULE value; derived from rule when empty
	until       time.Time // last possible start; zero when open
	untilValue  time.Time // the UNTIL written; until when zero
	count       int
	sequence    int
	modified    time.Time        // when the master itself was last changed (UNTIL set); zero: at creation
	changes     map[int64]change // by original start (Unix)
	makeUpTitle string
}

// builder assembles the seed for one now.
type builder struct {
	now      time.Time
	loc      *time.Location
	tzid     string
	w0       time.Time // Monday 00:00 of now's ISO week, in loc
	from, to time.Time
	objects  []object
	infos    []SeriesInfo
	expect   []Expectation
	people   []Person
}

func newBuilder(now time.Time, loc *time.Location) *builder {
	n := now.In(loc)
	back := (int(n.Weekday()) + 6) % 7
	return &builder{
		now:  n,
		loc:  loc,
		tzid: loc.String(),
		w0:   time.Date(n.Year(), n.Month(), n.Day()-back, 0, 0, 0, 0, loc),
		from: n.AddDate(0, 0, -7*HistoryWeeks),
		to:   n.AddDate(0, 0, AheadDays),
	}
}

// at returns weekday wd of week (relative to now's ISO week) at hh:mm in loc.
func (b *builder) at(week int, wd time.Weekday, hh, mm int) time.Time {
	off := (int(wd) + 6) % 7
	return time.Date(b.w0.Year(), b.w0.Month(), b.w0.Day()+7*week+off, hh, mm, 0, 0, b.loc)
}

// nthWeekday returns the nth weekday wd of the month (normalised) at hh:mm.
func (b *builder) nthWeekday(year int, month time.Month, wd time.Weekday, nth, hh, mm int) time.Time {
	first := time.Date(year, month, 1, hh, mm, 0, 0, b.loc)
	off := (int(wd) - int(first.Weekday()) + 7) % 7
	return time.Date(first.Year(), first.Month(), 1+off+7*(nth-1), hh, mm, 0, 0, b.loc)
}

// week returns the index of t's ISO week relative to now's week.
func (b *builder) week(t time.Time) int {
	t = t.In(b.loc)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	w := time.Date(b.w0.Year(), b.w0.Month(), b.w0.Day(), 0, 0, 0, 0, time.UTC)
	days := int(d.Sub(w).Hours() / 24)
	if days < 0 {
		return -((-days + 6) / 7)
	}
	return days / 7
}

// stamp is a plausible modification time, in UTC: days before t's day at
// hh:mm:ss in loc, and never after now.
func (b *builder) stamp(t time.Time, days, hh, mm, ss int) time.Time {
	l := t.In(b.loc)
	return b.clamp(time.Date(l.Year(), l.Month(), l.Day()-days, hh, mm, ss, 0, b.loc))
}

// clamp returns t in UTC, or a moment before now when t is not before now.
func (b *builder) clamp(t time.Time) time.Time {
	if !t.Before(b.now) {
		t = b.now.Add(-63 * time.Minute)
	}
	return t.UTC().Truncate(time.Second)
}

// slots returns the starts of s from DTSTART up to (not including) limit.
// Rules given only as text (ruleText) have no slots here.
func (b *builder) slots(s *series, limit time.Time) []time.Time {
	if !s.rule.monthly && s.rule.weeks < 1 {
		return nil
	}
	var out []time.Time
	for k := 0; ; k++ {
		if s.count > 0 && k >= s.count {
			break
		}
		var t time.Time
		if s.rule.monthly {
			t = b.nthWeekday(s.first.Year(), s.first.Month()+time.Month(k), s.rule.weekday, s.rule.nth, s.first.Hour(), s.first.Minute())
		} else {
			t = time.Date(s.first.Year(), s.first.Month(), s.first.Day()+7*s.rule.weeks*k, s.first.Hour(), s.first.Minute(), 0, 0, b.loc)
		}
		if !s.until.IsZero() && t.After(s.until) {
			break
		}
		if !t.Before(limit) {
			break
		}
		out = append(out, t)
	}
	return out
}

func (s *series) rruleValue(b *builder) string {
	if s.ruleText != "" {
		return s.ruleText
	}
	var r string
	switch {
	case s.rule.monthly:
		r = fmt.Sprintf("FREQ=MONTHLY;BYDAY=%d%s", s.rule.nth, byDay[s.rule.weekday])
	case s.client == apple:
		r = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d", s.rule.weeks)
	case s.rule.weeks == 1:
		r = "FREQ=WEEKLY;BYDAY=" + byDay[s.first.Weekday()]
	default:
		r = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s", s.rule.weeks, byDay[s.first.Weekday()])
	}
	if s.allDay {
		r = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d", s.rule.weeks)
	}
	switch {
	case s.count > 0:
		r += fmt.Sprintf(";COUNT=%d", s.count)
	case !s.until.IsZero():
		u := s.untilValue
		if u.IsZero() {
			u = s.until
		}
		r += ";UNTIL=" + u.UTC().Format(fmtUTCTime)
	}
	return r
}

func (s *series) change(t time.Time, c change) {
	if s.changes == nil {
		s.changes = map[int64]change{}
	}
	s.changes[t.Unix()] = c
}

// master returns the series' recurring VEVENT without overrides.
func (b *builder) master(s *series) vevent {
	created := b.stamp(s.first, 6, 9, 12, 37)
	ev := vevent{
		start:       s.first,
		end:         s.first.Add(s.dur),
		allDay:      s.allDay,
		summary:     s.title,
		description: s.description,
		location:    s.location,
		rrule:       s.rruleValue(b),
		sequence:    s.sequence,
		created:     created,
		stamp:       created,
		alarm:       s.client.alarm && !s.allDay,
	}
	if s.useDuration {
		ev.duration = s.dur
	}
	if s.allDay {
		ev.end = s.first.AddDate(0, 0, 1)
		ev.transp = "TRANSPARENT"
	}
	if s.organizer.Email == "" {
		return ev
	}
	ev.organizer = &attendee{p: s.organizer}
	humans := []Person{s.organizer}
	for _, p := range append([]Person{s.counterpart, anna}, s.others...) {
		if p.Email != "" && !slices.Contains(humans, p) {
			humans = append(humans, p)
		}
	}
	if len(humans) == 1 {
		return ev // a private event: no attendees at all
	}
	for i, p := range humans {
		switch {
		case i > 0:
			ev.attendees = append(ev.attendees, attendee{p: p, partstat: calendar.PartStatAccepted})
		case s.client.orgAsAttendee:
			ev.attendees = append(ev.attendees, attendee{p: p, partstat: calendar.PartStatAccepted, role: "CHAIR"})
		}
	}
	if s.room {
		ev.attendees = append(ev.attendees, attendee{p: kepler, partstat: calendar.PartStatAccepted, room: true})
	}
	return ev
}

// addSeries renders s with its changes and records the 1:1 expectations.
func (b *builder) addSeries(s *series) {
	uid := s.client.uid(s.label)
	m := b.master(s)
	var overrides []vevent
	var extra []object
	all := b.slots(s, b.to.AddDate(1, 0, 0))
	latestMod := m.stamp
	if !s.modified.IsZero() {
		latestMod = b.clamp(s.modified)
	}
	for _, t := range all {
		c, ok := s.changes[t.Unix()]
		if !ok {
			continue
		}
		mod := b.stamp(t, 2, 17, 48, 5)
		if mod.After(latestMod) {
			latestMod = mod
		}
		ov := m
		ov.rrule, ov.exdates, ov.alarm = "", nil, false
		ov.recurrenceID = t
		ov.start, ov.end = t, t.Add(s.dur)
		ov.duration = 0
		ov.stamp, ov.created = mod, m.created
		ov.attendees = append([]attendee(nil), m.attendees...)
		switch c.kind {
		case chExdate:
			m.exdates = append(m.exdates, t)
			continue
		case chCancel, chMakeUp:
			ov.status = calendar.StatusCancelled
			ov.sequence++
		case chMove:
			ov.start, ov.end = c.to, c.to.Add(s.dur)
			ov.sequence++
		case chDecline:
			for i := range ov.attendees {
				if ov.attendees[i].p == c.decliner {
					ov.attendees[i].partstat = calendar.PartStatDeclined
				}
			}
		}
		overrides = append(overrides, ov)
		if c.kind == chMakeUp {
			one := m
			one.rrule, one.exdates, one.duration = "", nil, 0
			one.summary = s.makeUpTitle
			one.start, one.end = c.to, c.to.Add(s.dur)
			one.created, one.stamp = mod, mod
			one.sequence = 0
			one.alarm = false
			extra = append(extra, object{cal: s.cal, client: s.client, uid: s.client.uid(s.label + "/make-up"), events: []vevent{one}})
		}
	}
	m.stamp = latestMod
	b.objects = append(b.objects, object{cal: s.cal, client: s.client, uid: uid, events: append([]vevent{m}, overrides...)})
	b.objects = append(b.objects, extra...)

	if s.counterpart.Email == "" {
		return
	}
	info := SeriesInfo{
		UID:          uid,
		Title:        s.title,
		Counterpart:  s.counterpart.Email,
		Relationship: s.counterpart.Relationship,
		Organizer:    s.organizer.Email,
		Cadence:      s.rule.cadence(),
		Rule:         m.rrule,
		Start:        s.first,
	}
	if s.count > 0 || !s.until.IsZero() {
		bounded := b.slots(s, s.first.AddDate(100, 0, 0))
		info.Last = bounded[len(bounded)-1]
		info.Ended = info.Last.Before(b.now)
	}
	b.infos = append(b.infos, info)
	for _, t := range b.slots(s, b.to) {
		if t.Before(b.from) {
			continue
		}
		e := Expectation{Counterpart: s.counterpart.Email, UID: uid, OriginalStart: t, Start: t}
		c, ok := s.changes[t.Unix()]
		switch {
		case !ok && t.Before(b.now):
			e.State, e.Why = calendar.StateHeld, "unchanged, started before now"
		case !ok:
			e.State, e.Why = calendar.StateUpcoming, "unchanged, not started before now"
		case c.kind == chExdate:
			e.State, e.Why = calendar.StateSkipped, "EXDATE"
		case c.kind == chCancel:
			e.State, e.Why = calendar.StateSkipped, "cancelled override"
		case c.kind == chDecline:
			e.State, e.Why = calendar.StateDeclined, c.decliner.Name+" declined (PARTSTAT=DECLINED)"
		case c.kind == chMakeUp:
			e.Start = c.to
			e.State, e.Why = calendar.StatePostponed, "cancelled override, made up by one-off "+shift(c.to.Sub(t))
		case c.kind == chMove && c.to.After(t):
			e.Start = c.to
			e.State, e.Why = calendar.StatePostponed, "moved "+shift(c.to.Sub(t))
		case c.kind == chMove:
			e.Start = c.to
			e.State, e.Why = calendar.StateAdvanced, "moved "+shift(c.to.Sub(t))
		}
		b.expect = append(b.expect, e)
	}
}

// shift formats a move as "+2d", "+1h", "-1d".
func shift(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%s%dd", sign, d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%s%dh", sign, d/time.Hour)
	}
	return sign + d.String()
}

// addOneOff records a non-recurring event.
func (b *builder) addOneOff(cal string, c *client, label string, ev vevent) {
	if ev.created.IsZero() {
		ev.created = b.stamp(ev.start, 4, 8, 55, 21)
	}
	if ev.stamp.IsZero() {
		ev.stamp = ev.created
	}
	b.objects = append(b.objects, object{cal: cal, client: c, uid: c.uid(label), events: []vevent{ev}})
}

func (b *builder) build() {
	const (
		mon = time.Monday
		tue = time.Tuesday
		wed = time.Wednesday
		thu = time.Thursday
		fri = time.Friday
		sat = time.Saturday
		sun = time.Sunday
	)
	m0y, m0m := b.w0.Year(), b.w0.Month()
	b.people = []Person{bob, chen, dana, elif, farid, grace, hugo, ines}

	// Bob: weekly Tue 10:00, organised by Anna on her Mac, in Room Kepler,
	// for a year. Apple-style cancelled override (skipped), a make-up, a
	// +2d move, and held in the last full week.
	bobS := &series{
		label: "bob", cal: CalendarWork, client: apple,
		counterpart: bob, organizer: anna, room: true,
		title:       "Anna / Bob 1:1",
		description: "Café ☕ – notes\nShared doc: https://docs.example.com/d/bob-1on1\n\nStanding topics, in order: how are you doing, the on-call rotation and whether it is still sustainable, progress on the billing migration, feedback both ways (what should I start, stop, keep doing?), and one thing about growth – conference talk, mentoring, or the staff-engineer path.",
		location:    "Room Kepler",
		first:       b.at(-52, tue, 10, 0), dur: 30 * time.Minute,
		rule:        rule{weeks: 1},
		makeUpTitle: "Anna / Bob 1:1 (moved)",
	}
	bobS.change(b.at(-9, tue, 10, 0), change{kind: chCancel})
	bobS.change(b.at(-7, tue, 10, 0), change{kind: chMakeUp, to: b.at(-7, thu, 10, 0)})
	bobS.change(b.at(-4, tue, 10, 0), change{kind: chMove, to: b.at(-4, thu, 10, 0)})
	b.addSeries(bobS)

	// Chen: weekly Wed 14:00, organised by Chen in Nextcloud, for over a
	// year; split "this and following" in week -5 into Thu 15:00 under a
	// new UID. Old series: Anna declined once, advanced -1d once. New one:
	// an EXDATE, then +1h in the last full week.
	split := b.at(-5, wed, 14, 0)
	chenOld := &series{
		label: "chen", cal: CalendarWork, client: nextcloud,
		counterpart: chen, organizer: chen,
		title:       "Chen <> Anna",
		description: "Chen's agenda:\n- deploy pipeline, flaky tests\n- conference talk (Berlin, October)",
		first:       b.at(-60, wed, 14, 0), dur: 45 * time.Minute,
		rule:     rule{weeks: 1},
		until:    split.Add(-time.Second),
		sequence: 1,
		modified: b.at(-6, mon, 11, 4).Add(52 * time.Second),
	}
	chenOld.change(b.at(-10, wed, 14, 0), change{kind: chDecline, decliner: anna})
	chenOld.change(b.at(-8, wed, 14, 0), change{kind: chMove, to: b.at(-8, tue, 14, 0)})
	b.addSeries(chenOld)
	chenNew := &series{
		label: "chen/2", cal: CalendarWork, client: nextcloud,
		counterpart: chen, organizer: chen,
		title:       "Chen <> Anna",
		description: chenOld.description,
		first:       b.at(-5, thu, 15, 0), dur: 45 * time.Minute,
		rule: rule{weeks: 1},
	}
	chenNew.change(b.at(-2, thu, 15, 0), change{kind: chExdate})
	chenNew.change(b.at(-1, thu, 15, 0), change{kind: chMove, to: b.at(-1, thu, 16, 0)})
	b.addSeries(chenNew)

	// Dana: biweekly Thu 09:30 (odd weeks), organised by Anna in
	// Thunderbird. Dana declined week -5; week -1 removed by EXDATE.
	danaS := &series{
		label: "dana", cal: CalendarWork, client: thunderbird,
		counterpart: dana, organizer: anna,
		title:       "1:1 Dana & Anna",
		description: "Prep: review the on-call handover; check the vacation plan, then career goals.\nOld notes: C:\\Users\\anna\\1on1\\dana.txt",
		first:       b.at(-41, thu, 9, 30), dur: 30 * time.Minute,
		rule: rule{weeks: 2},
	}
	danaS.change(b.at(-5, thu, 9, 30), change{kind: chDecline, decliner: dana})
	danaS.change(b.at(-1, thu, 9, 30), change{kind: chExdate})
	b.addSeries(danaS)

	// Elif: weekly Mon 16:00 with COUNT, organised by Anna in Nextcloud; no
	// 1:1 keyword in the title but exactly two humans. Two EXDATEs in one
	// multi-valued property; Elif declined the last full week's.
	elifS := &series{
		label: "elif", cal: CalendarWork, client: nextcloud,
		counterpart: elif, organizer: anna,
		title: "Weekly sync – Elif",
		first: b.at(-30, mon, 16, 0), dur: 30 * time.Minute,
		rule:  rule{weeks: 1},
		count: 60,
	}
	elifS.change(b.at(-11, mon, 16, 0), change{kind: chExdate})
	elifS.change(b.at(-6, mon, 16, 0), change{kind: chExdate})
	elifS.change(b.at(-1, mon, 16, 0), change{kind: chDecline, decliner: elif})
	b.addSeries(elifS)

	// Farid: skip-level, monthly on the first Friday at 11:00, organised by
	// Anna on her Mac; Farid's address is written in mixed case. The first
	// occurrence in weeks -11..-2 is advanced by a day.
	faridS := &series{
		label: "farid", cal: CalendarWork, client: apple,
		counterpart: farid, organizer: anna,
		title: "Skip-level: Farid",
		first: b.nthWeekday(m0y, m0m-10, fri, 1, 11, 0), dur: time.Hour,
		rule: rule{monthly: true, nth: 1, weekday: fri},
	}
	for _, t := range b.slots(faridS, b.to) {
		if w := b.week(t); w >= -11 && w <= -2 {
			faridS.change(t, change{kind: chMove, to: t.AddDate(0, 0, -1)})
			break
		}
	}
	b.addSeries(faridS)

	// Grace: peer, biweekly Tue 15:00 (even weeks), organised by Grace in
	// Thunderbird, UNTIL half a year ahead. EXDATE in week -10, advanced
	// -1d in week -6.
	graceS := &series{
		label: "grace", cal: CalendarWork, client: thunderbird,
		counterpart: grace, organizer: grace, room: true,
		title:       "Grace / Anna peer 1on1",
		description: "Peer exchange, alternating hosts; topics in the doc.",
		first:       b.at(-26, tue, 15, 0), dur: 45 * time.Minute,
		rule:  rule{weeks: 2},
		until: b.at(26, tue, 15, 0),
	}
	graceS.change(b.at(-10, tue, 15, 0), change{kind: chExdate})
	graceS.change(b.at(-6, tue, 15, 0), change{kind: chMove, to: b.at(-6, mon, 15, 0)})
	b.addSeries(graceS)

	// Hugo: mentor, monthly on the third Wednesday at 17:30 with COUNT,
	// organised by Anna on her Mac; nothing ever changes.
	hugoS := &series{
		label: "hugo", cal: CalendarWork, client: apple,
		counterpart: hugo, organizer: anna,
		title:       "Mentoring (Hugo)",
		description: "Video: https://meet.example.org/hugo-anna",
		location:    "https://meet.example.org/hugo-anna",
		first:       b.nthWeekday(m0y, m0m-8, wed, 3, 17, 30), dur: time.Hour,
		rule:  rule{monthly: true, nth: 3, weekday: wed},
		count: 18,
	}
	b.addSeries(hugoS)

	// Inês: former mentor, biweekly Fri 08:30 (even weeks), organised by
	// her in Nextcloud; the series ended with week -8 (UNTIL at the end of
	// that day), so nothing after it is expected.
	last := b.at(-8, fri, 8, 30)
	inesS := &series{
		label: "ines", cal: CalendarWork, client: nextcloud,
		counterpart: ines, organizer: ines,
		title: "Anna <> Inês 1:1",
		first: b.at(-60, fri, 8, 30), dur: 45 * time.Minute,
		rule:       rule{weeks: 2},
		until:      last,
		untilValue: time.Date(last.Year(), last.Month(), last.Day(), 23, 59, 59, 0, b.loc),
		sequence:   2,
		modified:   last.Add(3*time.Hour + 17*time.Second),
	}
	b.addSeries(inesS)

	// Noise: none of it is a 1:1.
	b.addSeries(&series{ // 8 humans and a room
		label: "team-weekly", cal: CalendarWork, client: nextcloud,
		organizer: anna, others: []Person{bob, chen, dana, elif, jonas, katrin, luca}, room: true,
		title:       "Team Platform weekly",
		description: "Demos, then the board. Notes: https://docs.example.com/d/team",
		location:    "Room Kepler",
		first:       b.at(-80, mon, 11, 0), dur: time.Hour,
		rule: rule{weeks: 1},
	})
	b.addSeries(&series{ // all-day, recurring, nobody
		label: "sprint-start", cal: CalendarWork, client: thunderbird,
		title:  "Sprint start",
		first:  b.at(-80, mon, 0, 0),
		allDay: true,
		rule:   rule{weeks: 2},
	})
	b.addSeries(&series{ // three humans
		label: "triad", cal: CalendarWork, client: apple,
		counterpart: Person{}, organizer: anna, others: []Person{bob, chen},
		title: "Anna / Bob / Chen triad",
		first: b.at(-31, fri, 14, 0), dur: 45 * time.Minute,
		rule: rule{weeks: 2},
	})
	b.addSeries(&series{ // one human
		label: "focus", cal: CalendarWork, client: thunderbird,
		organizer: anna,
		title:     "Focus time",
		first:     b.at(-20, wed, 8, 0), dur: 2 * time.Hour, useDuration: true,
		rule: rule{weeks: 1},
	})
	// A 1:1-titled one-off with Bob that is no make-up: the Tuesday slot of
	// its week was held.
	coffee := b.at(-3, fri, 15, 30)
	b.addOneOff(CalendarWork, nextcloud, "coffee-bob", vevent{
		start: coffee, end: coffee.Add(30 * time.Minute),
		summary:     "Coffee 1:1 with Bob ☕",
		description: "Informal, no agenda.",
		organizer:   &attendee{p: bob},
		attendees: []attendee{
			{p: bob, partstat: calendar.PartStatAccepted, role: "CHAIR"},
			{p: anna, partstat: calendar.PartStatAccepted},
		},
	})
	ooo := b.at(-4, fri, 0, 0)
	b.addOneOff(CalendarWork, apple, "ooo", vevent{
		start: ooo, end: ooo.AddDate(0, 0, 3), allDay: true,
		summary: "Out of office – long weekend 🌴", transp: "TRANSPARENT",
	})

	// The personal calendar: noise only.
	b.addSeries(&series{
		label: "yoga", cal: CalendarPersonal, client: apple,
		title: "Yoga", location: "Studio Mitte",
		first: b.at(-40, thu, 19, 0), dur: 75 * time.Minute,
		rule: rule{weeks: 1},
	})
	bday := time.Date(m0y-1, m0m, 14, 0, 0, 0, 0, b.loc)
	b.addSeries(&series{
		label: "birthday", cal: CalendarPersonal, client: apple,
		title: "Mum's birthday 🎂", first: bday, allDay: true,
		ruleText: "FREQ=YEARLY",
	})
	dentist := b.at(-2, sat, 9, 0)
	b.addOneOff(CalendarPersonal, apple, "dentist", vevent{
		start: dentist, end: dentist.Add(45 * time.Minute),
		summary: "Dentist", location: "Praxis Dr. Schulz, Torstraße 1, Berlin",
	})
	vacation := b.at(3, sat, 0, 0) // after the window: it changes no expectation
	b.addOneOff(CalendarPersonal, thunderbird, "vacation", vevent{
		start: vacation, end: b.at(4, sun, 0, 0).AddDate(0, 0, 1), allDay: true,
		summary: "Vacation – Lisbon 🌴", transp: "TRANSPARENT",
		description: "Flight TP 555, 07:10.\nHotel: Rua Augusta 12; check-in from 15:00",
	})
}

func (b *builder) finish() Team {
	span0 := b.to
	for _, o := range b.objects {
		for _, ev := range o.events {
			if ev.start.Before(span0) {
				span0 = ev.start
			}
		}
	}
	tz := vtimezone(b.loc, b.tzid, span0.AddDate(-1, 0, 0), b.to.AddDate(2, 0, 0))
	t := Team{
		Me:     anna,
		People: b.people,
		Series: b.infos,
		Expect: b.expect,
		From:   b.from,
		To:     b.to,
	}
	for _, o := range b.objects {
		t.Objects = append(t.Objects, Object{Calendar: o.cal, Name: o.uid + ".ics", Data: b.render(o, tz)})
	}
	sort.Slice(t.Objects, func(i, j int) bool {
		if t.Objects[i].Calendar != t.Objects[j].Calendar {
			return t.Objects[i].Calendar < t.Objects[j].Calendar
		}
		return t.Objects[i].Name < t.Objects[j].Name
	})
	sort.SliceStable(t.Expect, func(i, j int) bool {
		a, c := t.Expect[i], t.Expect[j]
		if !a.OriginalStart.Equal(c.OriginalStart) {
			return a.OriginalStart.Before(c.OriginalStart)
		}
		return a.Counterpart < c.Counterpart
	})
	return t
}

// render writes one object as iCalendar text.
func (b *builder) render(o object, tz []string) []byte {
	var w icsWriter
	w.line("BEGIN:VCALENDAR")
	w.prop("VERSION", "2.0")
	w.prop("PRODID", o.client.prodID)
	if o.client.calscale {
		w.prop("CALSCALE", "GREGORIAN")
	}
	timed := false
	for _, ev := range o.events {
		timed = timed || !ev.allDay
	}
	if timed {
		for _, l := range tz {
			w.line(l)
		}
	}
	for _, ev := range o.events {
		b.renderEvent(&w, o, ev)
	}
	w.line("END:VCALENDAR")
	return w.bytes()
}

func (b *builder) renderEvent(w *icsWriter, o object, ev vevent) {
	c := o.client
	local := func(name string, t time.Time) {
		w.prop(name+";TZID="+b.tzid, t.In(b.loc).Format(fmtLocalTime))
	}
	date := func(name string, t time.Time) {
		w.prop(name+";VALUE=DATE", t.In(b.loc).Format(fmtDate))
	}
	w.line("BEGIN:VEVENT")
	w.prop("UID", o.uid)
	w.prop("DTSTAMP", ev.stamp.UTC().Format(fmtUTCTime))
	w.prop("CREATED", ev.created.UTC().Format(fmtUTCTime))
	w.prop("LAST-MODIFIED", ev.stamp.UTC().Format(fmtUTCTime))
	w.prop("SEQUENCE", fmt.Sprint(ev.sequence))
	if !ev.recurrenceID.IsZero() {
		local("RECURRENCE-ID", ev.recurrenceID)
	}
	switch {
	case ev.allDay:
		date("DTSTART", ev.start)
		date("DTEND", ev.end)
	case ev.duration > 0:
		local("DTSTART", ev.start)
		w.prop("DURATION", isoDuration(ev.duration))
	default:
		local("DTSTART", ev.start)
		local("DTEND", ev.end)
	}
	if ev.rrule != "" {
		w.prop("RRULE", ev.rrule)
	}
	if len(ev.exdates) > 0 {
		vals := make([]string, len(ev.exdates))
		for i, t := range ev.exdates {
			vals[i] = t.In(b.loc).Format(fmtLocalTime)
		}
		if c.multiExdate {
			w.prop("EXDATE;TZID="+b.tzid, strings.Join(vals, ","))
		} else {
			for _, v := range vals {
				w.prop("EXDATE;TZID="+b.tzid, v)
			}
		}
	}
	w.text("SUMMARY", ev.summary)
	if ev.location != "" {
		w.text("LOCATION", ev.location)
	}
	if ev.description != "" {
		w.text("DESCRIPTION", ev.description)
	}
	switch {
	case ev.status != "":
		w.prop("STATUS", ev.status)
	case c == nextcloud:
		w.prop("STATUS", calendar.StatusConfirmed)
	}
	if ev.transp != "" {
		w.prop("TRANSP", ev.transp)
	}
	if ev.organizer != nil {
		w.prop("ORGANIZER;"+b.cnParams(c, ev.organizer.p.Name, ev.organizer.addr()), "mailto:"+ev.organizer.addr())
	}
	for _, a := range ev.attendees {
		w.prop(b.attendeeName(c, a), "mailto:"+a.addr())
	}
	for _, x := range c.extra {
		w.line(x)
	}
	if ev.alarm {
		w.line("BEGIN:VALARM")
		w.prop("ACTION", "DISPLAY")
		w.text("DESCRIPTION", "Reminder")
		w.prop("TRIGGER", "-PT10M")
		w.line("END:VALARM")
	}
	w.line("END:VEVENT")
}

func (b *builder) cnParams(c *client, name, addr string) string {
	s := "CN=" + paramValue(name, c.appleParams)
	if c.appleParams {
		s += ";EMAIL=" + paramValue(addr, true)
	}
	return s
}

func (b *builder) attendeeName(c *client, a attendee) string {
	role := a.role
	if role == "" {
		role = "REQ-PARTICIPANT"
	}
	partstat := a.partstat
	if partstat == "" {
		partstat = calendar.PartStatNeedsAction
	}
	s := "ATTENDEE;CN=" + paramValue(a.p.Name, c.appleParams)
	switch {
	case a.room:
		s += ";CUTYPE=ROOM"
	case c.appleParams:
		s += ";CUTYPE=INDIVIDUAL"
	}
	if c.appleParams {
		s += ";EMAIL=" + paramValue(a.addr(), true)
	}
	s += ";PARTSTAT=" + partstat + ";ROLE=" + role
	if role != "CHAIR" {
		s += ";RSVP=TRUE"
	}
	return s
}

// isoDuration formats d as an RFC 5545 §3.3.6 DURATION (hours and minutes).
func isoDuration(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	s := "PT"
	if h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m > 0 || h == 0 {
		s += fmt.Sprintf("%dM", m)
	}
	return s
}
