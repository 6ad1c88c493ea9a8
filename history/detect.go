package history

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"oneonone/calendar"
)

// defaultTitle matches the titles that name a 1:1 (docs/DESIGN.md,
// "Recognising a 1:1"): 1:1, 1-1, 1on1, 1x1, one-on-one and one on one, not
// inside a number or a word, nor inside a date or a time ("11:15",
// "2021-1-1" and "1-1-2021" do not match).
var defaultTitle = regexp.MustCompile(`(?i)(?:^|[^0-9a-z:/.-])(?:1 ?[:x-] ?1|1 ?on ?1|one[ -]on[ -]one)(?:$|[^0-9a-z:/.-]|[:/.-][^0-9])`)

// DetectRules are the configurable parts of 1:1 recognition.
type DetectRules struct {
	// Me holds the user's own addresses, lower-cased. When empty, the
	// organizer is taken as the calendar's owner.
	Me []string
	// Include holds extra title patterns that count like "1:1".
	Include []*regexp.Regexp
	// Exclude holds title patterns that are never 1:1s.
	Exclude []*regexp.Regexp
}

// IsMe reports whether email is one of the user's addresses.
func (r DetectRules) IsMe(email string) bool {
	return slices.Contains(r.Me, calendar.NormalizeEmail(email))
}

// TitleMatches reports whether title names a 1:1, by the default patterns
// or the configured ones.
func (r DetectRules) TitleMatches(title string) bool {
	if defaultTitle.MatchString(title) {
		return true
	}
	for _, re := range r.Include {
		if re.MatchString(title) {
			return true
		}
	}
	return false
}

// Verdict says whether an event is a 1:1 and why.
type Verdict struct {
	OneOnOne    bool
	Reason      string // why it is, or why it is not, a 1:1
	Me          string
	Counterpart calendar.Attendee
}

// Pair returns the verdict's pair; the zero Pair when it is not a 1:1.
func (v Verdict) Pair() calendar.Pair {
	if !v.OneOnOne {
		return calendar.Pair{}
	}
	return calendar.NewPair(v.Me, v.Counterpart.Email)
}

// Detect decides whether a recurring master is a 1:1 series, following
// docs/DESIGN.md, "Recognising a 1:1": it recurs, is not all-day, and has
// exactly two human participants one of whom is me; or its title names a 1:1
// and it has at most two human participants.
func Detect(ev *calendar.Event, r DetectRules) Verdict {
	if !ev.Recurring() {
		return Verdict{Reason: "not recurring"}
	}
	return detect(ev, r)
}

// PairOf decides whether a one-off event is a meeting of exactly two people
// one of whom is me, the shape of a make-up for a cancelled 1:1. Title rules
// do not apply: a make-up needs both people on it.
func PairOf(ev *calendar.Event, r DetectRules) (calendar.Pair, bool) {
	if ev.AllDay || ev.Cancelled() {
		return calendar.Pair{}, false
	}
	humans := ev.Humans()
	if len(humans) != 2 {
		return calendar.Pair{}, false
	}
	me, other := splitMe(humans, ev, r)
	if me == "" || other.Email == "" {
		return calendar.Pair{}, false
	}
	return calendar.NewPair(me, other.Email), true
}

func detect(ev *calendar.Event, r DetectRules) Verdict {
	if ev.AllDay {
		return Verdict{Reason: "all-day"}
	}
	for _, re := range r.Exclude {
		if re.MatchString(ev.Summary) {
			return Verdict{Reason: "title matches detect.exclude " + strings.TrimSpace(re.String())}
		}
	}
	humans := ev.Humans()
	titled := r.TitleMatches(ev.Summary)
	switch {
	case len(humans) > 2:
		return Verdict{Reason: plural(len(humans), "human participant") + ", a 1:1 has two"}
	case len(humans) < 2:
		if titled {
			return Verdict{Reason: "title names a 1:1 but there is no counterpart among the participants"}
		}
		return Verdict{Reason: plural(len(humans), "human participant") + ", a 1:1 has two"}
	}
	me, other := splitMe(humans, ev, r)
	if me == "" {
		if !titled {
			return Verdict{Reason: "neither participant is me (identity.me)"}
		}
		// A titled 1:1 between two people none of whom is configured:
		// the organizer stands for the calendar's owner.
		me, other = humans[0].Email, humans[1]
		if ev.Organizer.Email == other.Email {
			me, other = other.Email, humans[0]
		}
	}
	reason := "two human participants, one of them me"
	if titled {
		reason = "title names a 1:1 and there are two human participants"
	}
	return Verdict{OneOnOne: true, Reason: reason, Me: me, Counterpart: other}
}

// splitMe finds me among two humans: a configured address, else the organizer
// when no address is configured.
func splitMe(humans []calendar.Attendee, ev *calendar.Event, r DetectRules) (string, calendar.Attendee) {
	for i, h := range humans {
		isMe := r.IsMe(h.Email)
		if len(r.Me) == 0 {
			isMe = h.Email == ev.Organizer.Email
		}
		if isMe {
			return h.Email, humans[1-i]
		}
	}
	return "", calendar.Attendee{}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// CadenceOf names the cadence of an RRULE value (without "RRULE:").
func CadenceOf(rrule string) calendar.Cadence {
	parts := map[string]string{}
	for _, p := range strings.Split(strings.ToUpper(rrule), ";") {
		k, v, _ := strings.Cut(p, "=")
		parts[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	interval := parts["INTERVAL"]
	if interval == "" {
		interval = "1"
	}
	byday := parts["BYDAY"]
	switch parts["FREQ"] {
	case "WEEKLY":
		if strings.Contains(byday, ",") {
			return calendar.CadenceOther // several days a week
		}
		switch interval {
		case "1":
			return calendar.CadenceWeekly
		case "2":
			return calendar.CadenceBiweekly
		case "4":
			return calendar.CadenceMonthly
		}
	case "MONTHLY":
		if interval == "1" && !strings.Contains(byday, ",") && !strings.Contains(parts["BYMONTHDAY"], ",") {
			return calendar.CadenceMonthly
		}
	case "DAILY":
		switch interval {
		case "7":
			return calendar.CadenceWeekly
		case "14":
			return calendar.CadenceBiweekly
		}
	}
	return calendar.CadenceOther
}
