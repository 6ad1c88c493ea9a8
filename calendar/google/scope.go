package google

// OAuth scopes of the Calendar API that oneonone asks for.
const (
	// ScopeEventsOwned reads and writes the events of calendars the
	// account owns.
	ScopeEventsOwned = "https://www.googleapis.com/auth/calendar.events.owned"
	// ScopeEvents reads and writes the events of every calendar the
	// account can see, shared ones included.
	ScopeEvents = "https://www.googleapis.com/auth/calendar.events"
)

// Scope returns the narrowest scope that lets oneonone list and write the
// events of calendarID: calendar.events.owned when the account owns it (its
// primary calendar, or one it created), else calendar.events.
func Scope(calendarID string, ownsIt bool) string {
	if ownsIt {
		return ScopeEventsOwned
	}
	return ScopeEvents
}
