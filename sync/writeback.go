package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
)

// maxConflictRetries bounds re-read, re-merge, retry after a 412.
const maxConflictRetries = 3

// maxWritesPerObject bounds the events of one object written in one cycle
// (a series master and its overrides share an object). A 1:1 has a few
// overrides within the horizon; an object with thousands of them would
// otherwise cost a parse of the whole object for each.
const maxWritesPerObject = 32

// Blocks counts what write-back did in one cycle.
type Blocks struct {
	Written      int // blocks written (or, in a dry run, that would be)
	AlreadyRight int // events whose block was already right: no request
	Conflicts    int // writes that met a changed object and were retried
	Refused      int // events the account may not edit (not the organizer, or 403)
}

// Planned is one write a dry run would make.
type Planned struct {
	Source, Href, Title string
	Start               time.Time // the event's start (the master's first, or the override's)
	Override            bool
	Old, New            string // the description before and after
}

// AgendaFunc returns the block a series' events should carry.
type AgendaFunc func(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error)

// writeAgendas puts the agenda block into every target event of a source
// that can be written, as DESIGN.md asks: conditional writes, a bounded
// re-read and re-merge on conflict, no write when the block is right, and
// never an event the account may not edit.
func (e *Engine) writeAgendas(ctx context.Context, ns NamedSource, targets []Target) (Blocks, error) {
	var sum Blocks
	w, ok := ns.Source.(Writer)
	if !ok || e.Agenda == nil {
		return sum, nil
	}
	type blockKey struct {
		series string
		alone  bool
	}
	blocks := map[blockKey]agenda.Block{} // one block per series and cycle
	var errs []error
	// Each write re-reads the whole object, so the work one object may
	// cost a cycle is bounded: after a failed write its other events wait
	// for the next cycle, and so do those past maxWritesPerObject writes.
	writes := map[string]int{}
	failed := map[string]bool{}
	deferred := 0
	for _, t := range targets {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if !t.Mine {
			sum.Refused++
			continue
		}
		if ro, err := e.readOnly(ns.Name, t.Event); err != nil || ro {
			if err != nil {
				errs = append(errs, err)
			}
			sum.Refused++
			continue
		}
		key := blockKey{t.Series.ID, t.Alone}
		block, ok := blocks[key]
		if !ok {
			var err error
			if block, err = e.Agenda(ctx, t.Series, t.Alone); err != nil {
				errs = append(errs, fmt.Errorf("agenda of %s: %w", t.Series.ID, err))
				continue
			}
			blocks[key] = block
		}
		href := t.Event.Href
		if failed[href] || (writes[href] >= maxWritesPerObject && !e.DryRun) {
			deferred++
			continue
		}
		before := sum.Written + sum.Conflicts
		err := e.writeOne(ctx, ns, w, t, block, &sum)
		if err != nil || sum.Written+sum.Conflicts != before {
			writes[href]++
		}
		if err != nil {
			failed[href] = true
			errs = append(errs, fmt.Errorf("write agenda into %s: %w", href, err))
		}
	}
	if deferred > 0 {
		e.log().Info("agenda writes left for the next cycle", slog.String("source", ns.Name), slog.Int("events", deferred))
	}
	return sum, errors.Join(errs...)
}

// writeOne merges the block into one event and writes it if it changed.
func (e *Engine) writeOne(ctx context.Context, ns NamedSource, w Writer, t Target, block agenda.Block, sum *Blocks) error {
	ev := t.Event
	desc := ev.Description
	var obj calendar.Object // read from the store only when there is something to write
	loaded := false
	for attempt := 0; ; attempt++ {
		merged, right := mergeBlock(desc, block, w.HTMLDescriptions())
		if right {
			sum.AlreadyRight++
			return nil
		}
		if e.DryRun {
			sum.Written++
			if e.Plan != nil {
				e.Plan(Planned{Source: ns.Name, Href: ev.Href, Title: ev.Summary, Start: ev.Start, Override: ev.IsOverride(), Old: desc, New: merged})
			}
			return nil
		}
		if !loaded {
			stored, ok, err := e.Store.Object(ns.Name, ev.Calendar, ev.Href)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("object %s is not stored", ev.Href)
			}
			obj, loaded = stored, true
		}
		data, err := w.SetDescription(obj, ev.UID, ev.RecurrenceID, merged)
		if err != nil {
			return err
		}
		etag, err := w.Put(ctx, ev.Href, data, obj.ETag)
		switch {
		case err == nil:
			sum.Written++
			return e.Store.PutObject(ns.Name, ev.Calendar, calendar.Object{Href: ev.Href, ETag: etag, Data: data})
		case errors.Is(err, calendar.ErrForbidden):
			sum.Refused++
			return e.markReadOnly(ns.Name, ev)
		case !errors.Is(err, calendar.ErrConflict):
			return err
		}
		// Someone changed the object between our read and our write: read
		// it again, merge into what is there now, and try again.
		sum.Conflicts++
		if attempt+1 >= maxConflictRetries {
			return fmt.Errorf("still changing after %d attempts: %w", maxConflictRetries, err)
		}
		e.log().Info("agenda write met a changed object, merging again", slog.String("source", ns.Name), slog.String("href", ev.Href))
		if obj, err = w.Get(ctx, ev.Href); err != nil {
			return err
		}
		if err := e.Store.PutObject(ns.Name, ev.Calendar, obj); err != nil {
			return err
		}
		fresh, ok := findEvent(ns, ev, obj)
		if !ok {
			return nil // the event is gone from the object: nothing to prepare
		}
		ev, desc = fresh, fresh.Description
	}
}

// mergeBlock puts the block into desc and says whether desc already had
// it: merging a block that is right leaves the description as it is.
func mergeBlock(desc string, block agenda.Block, html bool) (merged string, right bool) {
	if html {
		merged = agenda.MergeHTML(desc, block.HTML())
	} else {
		merged = agenda.Merge(desc, block.Text())
	}
	return merged, merged == desc
}

// findEvent finds the event (same UID and recurrence id) in a re-read object.
func findEvent(ns NamedSource, old *calendar.Event, obj calendar.Object) (*calendar.Event, bool) {
	evs, _ := ns.Source.Decode(old.Calendar, obj)
	for i := range evs {
		ev := &evs[i]
		if ev.UID == old.UID && ev.RecurrenceID.Equal(old.RecurrenceID) {
			ev.Source, ev.Calendar = old.Source, old.Calendar
			return ev, true
		}
	}
	return nil, false
}

// readOnlyKey names the fact that the server refused a write to an event.
func readOnlyKey(source string, ev *calendar.Event) string {
	key := "readonly " + source + " " + ev.Href
	if ev.IsOverride() {
		key += " " + ev.RecurrenceID.UTC().Format(time.RFC3339)
	}
	return key
}

func (e *Engine) readOnly(source string, ev *calendar.Event) (bool, error) {
	_, ok, err := e.Store.Meta(readOnlyKey(source, ev))
	return ok, err
}

// markReadOnly remembers a 403, so the event is never tried again.
func (e *Engine) markReadOnly(source string, ev *calendar.Event) error {
	e.log().Info("server refused an agenda write; not trying this event again", slog.String("source", source), slog.String("href", ev.Href))
	return e.Store.SetMeta(readOnlyKey(source, ev), e.now().UTC().Format(time.RFC3339))
}
