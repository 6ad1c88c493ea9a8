// Package ical reads iCalendar (RFC 5545) as real producers write it
// (Parse: Google, Outlook and Exchange, Apple, Thunderbird, Nextcloud…,
// leniently, every problem named), edits one property of one event while
// keeping every other byte (SetDescription, SetAltDescription), and turns
// VTIMEZONE components and Windows or Outlook zone names into locations.
//
// It builds calendar.Event values and reads their rules through
// calendar/recur; the arrows run calendar/ical → calendar/recur → calendar.
package ical
