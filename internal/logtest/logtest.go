// Package logtest records log lines for tests: a slog.Handler that keeps
// every record it is given, and a way to catch what reaches slog's default
// logger during a test.
package logtest

import (
	"context"
	"log"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"testing"
)

// Line is one recorded log line: its level, message and attributes (those
// of the logger's With included), the values as text.
type Line struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

// Recorder is a slog.Handler that records every line at every level. It is
// safe for concurrent use; the loggers made from it with With share its
// lines.
type Recorder struct {
	mu    *gosync.Mutex
	lines *[]Line
	attrs []slog.Attr
	group string
}

// New returns an empty recorder.
func New() *Recorder {
	return &Recorder{mu: new(gosync.Mutex), lines: new([]Line)}
}

// Logger returns a logger that writes into r.
func (r *Recorder) Logger() *slog.Logger { return slog.New(r) }

// Enabled is true at every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle records rec.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	l := Line{Level: rec.Level, Message: rec.Message, Attrs: map[string]string{}}
	for _, a := range r.attrs {
		l.Attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		key := a.Key
		if r.group != "" {
			key = r.group + "." + key
		}
		l.Attrs[key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	*r.lines = append(*r.lines, l)
	r.mu.Unlock()
	return nil
}

// WithAttrs returns a handler that records into r with attrs added.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	cp := *r
	cp.attrs = slices.Clone(r.attrs)
	for _, a := range attrs {
		if r.group != "" {
			a.Key = r.group + "." + a.Key
		}
		cp.attrs = append(cp.attrs, a)
	}
	return &cp
}

// WithGroup returns a handler that records into r with keys under name.
func (r *Recorder) WithGroup(name string) slog.Handler {
	cp := *r
	if r.group != "" {
		name = r.group + "." + name
	}
	cp.group = name
	return &cp
}

// Lines returns the lines recorded so far.
func (r *Recorder) Lines() []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(*r.lines)
}

// Messages returns the message of every line recorded so far.
func (r *Recorder) Messages() []string {
	var out []string
	for _, l := range r.Lines() {
		out = append(out, l.Message)
	}
	return out
}

// HasPrefix reports whether a recorded message starts with prefix.
func (r *Recorder) HasPrefix(prefix string) bool {
	return slices.ContainsFunc(r.Messages(), func(m string) bool { return strings.HasPrefix(m, prefix) })
}

// CaptureDefault makes a recorder slog's default logger until the test
// ends, then puts back the default logger and the log package's output as
// they were. A test that calls it must not run in parallel with others.
func CaptureDefault(t testing.TB) *Recorder {
	t.Helper()
	old, w, flags := slog.Default(), log.Writer(), log.Flags()
	r := New()
	slog.SetDefault(r.Logger())
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(w)
		log.SetFlags(flags)
	})
	return r
}
