// Package history decides what a calendar says about 1:1s: which recurring
// series are 1:1s (Detect, docs/DESIGN.md "Recognising a 1:1"), what became
// of each of their slots (Classify, docs/DESIGN.md "Occurrence states"), and
// how a cycle's view merges with the history stored so far (Build). Inspect
// explains one file's events with the same Build, so `oneonone inspect` and
// the engine cannot disagree.
//
// It is pure: it reads events and stored occurrences handed to it and
// returns what to save; it does no I/O. The engine (package sync) feeds it
// from the store and saves its result.
package history
