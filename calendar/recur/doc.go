// Package recur reads recurrence rules (RFC 5545 §3.3.10, §3.8.5) and
// expands a recurring event, with its overrides, EXDATEs and RDATEs, into
// the instances of a window: Group and GroupEvents gather a master with its
// overrides, Expand gives the instances, SeriesEnd the last one. Rules are
// read by ParseRule against their DTSTART in wall-clock time (Wall,
// InZone); every expansion is bounded (ErrBudget).
//
// It knows calendar's model and nothing of iCalendar text: calendar/ical
// calls it to read RRULE values, and a provider that is not iCalendar
// (calendar/google) reads its recurrence lines through it.
package recur
