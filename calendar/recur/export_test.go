package recur

// What the external tests (package recur_test, which may read iCalendar
// through calendar/ical) need of the package's insides.
var (
	// ExpandMode is Expand with the choice of DTSTART rule: rfc false
	// follows python-dateutil, for its test vectors.
	ExpandMode = expand
	RuleWork   = &ruleWork
)

const (
	DefaultLimit = defaultLimit
	RuleBudget   = ruleBudget
)
