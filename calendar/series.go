package calendar

import (
	"cmp"
	"math"
	"sort"
	"strings"
	"time"
)

// State is what became of one occurrence of a 1:1 series. The states are
// mutually exclusive (docs/DESIGN.md, "Occurrence states").
type State string

// The occurrence states.
const (
	StateHeld      State = "held"
	StatePostponed State = "postponed"
	StateAdvanced  State = "advanced"
	StateSkipped   State = "skipped"
	StateDeclined  State = "declined"
	StateUpcoming  State = "upcoming"
)

// States lists every state in report order.
var States = []State{StateHeld, StatePostponed, StateAdvanced, StateSkipped, StateDeclined, StateUpcoming}

// Kept reports whether an occurrence in state s took place once its actual
// start is past.
func (s State) Kept() bool {
	return s == StateHeld || s == StatePostponed || s == StateAdvanced
}

// Cadence is how often a series recurs.
type Cadence string

// The cadences.
const (
	CadenceWeekly   Cadence = "weekly"
	CadenceBiweekly Cadence = "biweekly"
	CadenceMonthly  Cadence = "monthly"
	CadenceOther    Cadence = "other"
)

// Period returns the nominal length of one cadence step; 0 for other.
func (c Cadence) Period() time.Duration {
	switch c {
	case CadenceWeekly:
		return 7 * 24 * time.Hour
	case CadenceBiweekly:
		return 14 * 24 * time.Hour
	case CadenceMonthly:
		return 30 * 24 * time.Hour
	}
	return 0
}

// Pair is two people who meet 1:1, as lower-cased addresses in order.
type Pair struct {
	A, B string
}

// NewPair returns the pair of x and y, in a stable order.
func NewPair(x, y string) Pair {
	x, y = NormalizeEmail(x), NormalizeEmail(y)
	if y < x {
		x, y = y, x
	}
	return Pair{A: x, B: y}
}

// String returns "a|b", the pair's key in the report.
func (p Pair) String() string { return p.A + "|" + p.B }

// Compare orders pairs as their String forms compare, without making them.
func (p Pair) Compare(q Pair) int {
	if p.A == q.A {
		return strings.Compare(p.B, q.B)
	}
	a, b := p.A, q.A
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return cmp.Compare(a[i], b[i])
		}
	}
	// One A begins the other: the shorter goes on with '|'.
	switch {
	case len(a) < len(b) && b[n] != '|':
		return cmp.Compare(byte('|'), b[n])
	case len(b) < len(a) && a[n] != '|':
		return cmp.Compare(a[n], byte('|'))
	}
	return strings.Compare(p.String(), q.String())
}

// ParsePair is the inverse of Pair.String.
func ParsePair(s string) (Pair, bool) {
	a, b, ok := strings.Cut(s, "|")
	if !ok || a == "" || b == "" {
		return Pair{}, false
	}
	return NewPair(a, b), true
}

// Has reports whether email is one of the pair.
func (p Pair) Has(email string) bool {
	email = NormalizeEmail(email)
	return email == p.A || email == p.B
}

// Other returns the member of the pair that is not email.
func (p Pair) Other(email string) string {
	if NormalizeEmail(email) == p.A {
		return p.B
	}
	return p.A
}

// Series is a recurring master recognised as a 1:1.
type Series struct {
	ID           string    `json:"id"` // source + "/" + calendar + "/" + UID
	Source       string    `json:"source"`
	Calendar     string    `json:"calendar"`
	Href         string    `json:"href"`
	UID          string    `json:"uid"`
	ICalUID      string    `json:"ical_uid,omitempty"` // the master's iCalendar UID when not UID (Google's iCalUID)
	Title        string    `json:"title"`
	Pair         Pair      `json:"pair"`
	Me           string    `json:"me"`
	Counterpart  string    `json:"counterpart"`
	Name         string    `json:"counterpart_name,omitempty"`
	Relationship string    `json:"relationship"`
	Cadence      Cadence   `json:"cadence"`
	RRule        string    `json:"rrule"`
	Start        time.Time `json:"start"`            // DTSTART of the master
	Until        time.Time `json:"until,omitzero"`   // last possible occurrence, zero when open-ended
	Deleted      time.Time `json:"deleted,omitzero"` // when the series was seen gone
	Zone         string    `json:"zone,omitempty"`
	Checked      time.Time `json:"checked,omitzero"` // when the series was last rebuilt from the calendar
	// Next is when a rebuild from the same events could first give
	// another history (a slot starting, entering the horizon, leaving the
	// recompute window…): until then a cycle that fetched nothing new
	// need not rebuild the series. Zero for a series gone or not expanded.
	Next time.Time `json:"next,omitzero"`
}

// RuleKey identifies the series' schedule: its start and its rule without
// the parts that only end it (UNTIL, COUNT). Two keys differ when an
// "all events" edit moved the series, not when it was ended or split.
func (s Series) RuleKey() string {
	var kept []string
	for _, part := range strings.Split(strings.ToUpper(s.RRule), ";") {
		k, _, _ := strings.Cut(part, "=")
		if k == "UNTIL" || k == "COUNT" || part == "" {
			continue
		}
		kept = append(kept, part)
	}
	sort.Strings(kept)
	return s.Start.UTC().Format(time.RFC3339) + " " + strings.Join(kept, ";")
}

// Occurrence is one slot of a series, keyed by (series, original start).
type Occurrence struct {
	SeriesID      string    `json:"series_id"`
	Pair          Pair      `json:"pair"`
	OriginalStart time.Time `json:"original_start"`
	Start         time.Time `json:"start"` // actual start; equals OriginalStart unless moved
	End           time.Time `json:"end"`
	State         State     `json:"state"`
	MadeUpBy      string    `json:"made_up_by,omitempty"` // UID of the one-off that made up a cancelled slot
	Vanished      bool      `json:"vanished,omitempty"`   // seen once, then gone from the calendar
	SeenAt        time.Time `json:"seen_at,omitzero"`     // first seen

	// What changed the occurrence's fate (cancelled, moved, declined, or
	// restored to its slot), for a state other than held or upcoming, or
	// one restored from such a state (docs/DESIGN.md, "When and by whom").
	//
	// ChangedAt is the provider's time of that change (the Modified of the
	// override, or of the master that gained the EXDATE), zero when it gives
	// none; ChangeSeen is when oneonone first saw the occurrence in its
	// present state; ChangedBy is the address of who made the change: the
	// organizer of the edited event, or the one of the pair who declined.
	// Estimated says the change may predate oneonone's first sight of the
	// slot: ChangeSeen is then only a bound.
	ChangedAt  time.Time `json:"changed_at,omitzero"`
	ChangeSeen time.Time `json:"change_seen,omitzero"`
	ChangedBy  string    `json:"changed_by,omitempty"`
	Estimated  bool      `json:"estimated,omitempty"`
}

// ChangeTime is when the occurrence's fate changed, as well as is known:
// the provider's time, else when oneonone first saw it; zero for none, and
// for a change that may predate the first sight with no provider time
// (its first sight says nothing of its notice).
func (o Occurrence) ChangeTime() time.Time {
	if !o.ChangedAt.IsZero() {
		return o.ChangedAt
	}
	if o.Estimated {
		return time.Time{}
	}
	return o.ChangeSeen
}

// NoticeHours is how long before the slot's original start its fate
// changed, in hours (negative for a change after it); ok is false when
// nothing changed it.
func (o Occurrence) NoticeHours() (hours float64, ok bool) {
	t := o.ChangeTime()
	if t.IsZero() {
		return 0, false
	}
	return o.OriginalStart.Sub(t).Hours(), true
}

// ShiftMinutes is the actual start minus the original start, in minutes.
func (o Occurrence) ShiftMinutes() int {
	return int(math.Round(o.Start.Sub(o.OriginalStart).Minutes()))
}

// Key is the occurrence's key within its series: the original start in UTC.
func (o Occurrence) Key() string {
	return o.OriginalStart.UTC().Format("20060102T150405Z")
}

// SortOccurrences orders occurrences by original start, then series.
func SortOccurrences(occ []Occurrence) {
	sort.Slice(occ, func(i, j int) bool {
		if !occ[i].OriginalStart.Equal(occ[j].OriginalStart) {
			return occ[i].OriginalStart.Before(occ[j].OriginalStart)
		}
		return occ[i].SeriesID < occ[j].SeriesID
	})
}
