package email

import (
	"fmt"
	"strings"
	"time"

	"oneonone/remind"
)

// ComposeReminder returns the mail of the reminder before a 1:1: its
// subject (after "1:1 reminder: ") and lines as a plain-text body,
// stripped of control characters as ComposeNudge's; the addresses are
// checked as Compose checks them.
func ComposeReminder(r remind.Reminder, from string, to []string, now time.Time) ([]byte, error) {
	var body strings.Builder
	for _, l := range r.Lines() {
		body.WriteString(stripControl(l))
		body.WriteString("\r\n")
	}
	body.WriteString("\r\n-- \r\noneonone: one reminder before each 1:1 (agenda.reminder).\r\n")
	msg, err := composePlain(from, to, "1:1 reminder: "+stripControl(r.Subject()), body.String(), now)
	if err != nil {
		return nil, fmt.Errorf("compose reminder mail: %w", err)
	}
	return msg, nil
}
