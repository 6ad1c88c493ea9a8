package sync

// RebuildEverything makes e rebuild every series every cycle, as engines
// did before the quiet cycle: the reference the incremental engine is
// compared with.
func RebuildEverything(e *Engine) { e.full = true }

// SeriesBuilt is how many series e's builds made since it started.
func SeriesBuilt(e *Engine) int64 { return e.rebuilt.Load() }
