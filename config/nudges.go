package config

import (
	"fmt"
	"slices"
)

// Nudges configures the nudges (docs/DESIGN.md, "Nudges"): each rule can
// be turned off; they go by mail to report.email.to (while it is set) and
// to notification targets.
type Nudges struct {
	Overdue    bool `toml:"overdue"`     // no kept 1:1 for twice the cadence (default on)
	TwoSkips   bool `toml:"two_skips"`   // two skipped in a row (default on)
	LateCancel bool `toml:"late_cancel"` // cancelled with less than report.late_notice notice, not made up (default on)
	// Email sends each nudge to report.email.to (default on; nothing
	// while report.email.to is empty).
	Email bool `toml:"email"`
	// EmailCounterpart also mails it to the counterpart (default off).
	EmailCounterpart bool `toml:"email_counterpart"`
	// Notify names the [[notify]] targets that get nudges; empty: all.
	Notify []string `toml:"notify"`
}

// defaultNudges has every rule on and mail on.
var defaultNudges = Nudges{Overdue: true, TwoSkips: true, LateCancel: true, Email: true}

// validateNudges checks that nudges.notify and report.notify name
// configured targets.
func (c *Config) validateNudges(v *validator) {
	for _, l := range []struct {
		key   string
		names []string
	}{{"nudges.notify", c.Nudges.Notify}, {"report.notify", c.Report.Notify}} {
		for i, name := range l.names {
			if !slices.ContainsFunc(c.Notify, func(n Notify) bool { return n.Name == name }) {
				v.add(fmt.Sprintf("%s[%d]", l.key, i), "no [[notify]] target is named %q", name)
			}
		}
	}
}
