package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/history"
	"oneonone/store"
)

// maxConflictRetries bounds re-read, re-merge, retry after a 412.
const maxConflictRetries = 3

// maxEventsPerObject bounds the events of one object written in one cycle
// (a series master and its overrides share an object, and all go in one
// write). A 1:1 has a few overrides within the horizon; an object with
// thousands of them would otherwise cost a parse of the whole object for
// each, every cycle: the rest wait for the next cycles.
const maxEventsPerObject = 32

// Blocks counts what write-back did in one cycle.
type Blocks struct {
	Written      int // blocks written (or, in a dry run, that would be)
	Writes       int // conditional writes sent: one per object, retries included
	AlreadyRight int // events whose block was already right: no request
	Conflicts    int // writes that met a changed object and were retried
	Refused      int // events the account may not edit (not the organizer, or 403)
	// WouldNotify counts the events with attendees left alone because
	// their server would send the attendees a message for a write of ours
	// and cannot be told not to (see NamedSource.NotifyAttendees).
	WouldNotify int
	// Deferred counts events left for a later cycle: their object's
	// writes are backing off after the server refused them, or it had
	// more than maxEventsPerObject to write.
	Deferred int
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

// Ticker applies the boxes read back from a pair's block in an event's
// description (agenda.ReadTicks) against shown, the block the engine would
// write there: changed says the store changed and the block is to be made
// again.
type Ticker interface {
	Tick(ctx context.Context, pair calendar.Pair, shown agenda.Block, ticks []agenda.Tick) (changed bool, err error)
}

// Notifier is a Writer whose server may send the attendees of an event a
// scheduling message (RFC 6638 implicit scheduling) when we write it.
type Notifier interface {
	// WouldNotify reports whether a write of an event with attendees
	// would make the server notify them, whatever the writer asks of it,
	// and names the server ("iCloud (calendar-auto-schedule)").
	WouldNotify(ctx context.Context) (notify bool, server string, err error)
}

// AltDescriber is a Writer of iCalendar objects that can also set an
// event's HTML description (X-ALT-DESC;FMTTYPE=text/html, which Outlook shows).
type AltDescriber interface {
	SetAltDescription(obj calendar.Object, uid string, rid time.Time, html string) ([]byte, error)
}

// objectWrite is the block-bearing events of one object, written together.
type objectWrite struct {
	href    string
	cal     string
	targets []history.Target
	blocks  []agenda.Block // the block of each target
}

// writeAgendas puts the agenda block into every target event of a source
// that can be written, as docs/DESIGN.md, "The agenda block", asks: one
// conditional write per object (its master and overrides together), a
// bounded re-read and re-merge on conflict, no write when the block is
// right, never an event the account may not edit, and never one whose
// attendees the server would notify.
// A write the server keeps refusing is that object's problem (returned in
// problems, retried with a growing pause), not the source's failure.
//
// Ticks come first: in a target of a pair's own block whose object someone
// else changed in this cycle (in deltas), boxes that read otherwise than
// the block shows are applied (Ticker) before any block is made.
func (e *Engine) writeAgendas(ctx context.Context, ns NamedSource, targets []history.Target, deltas []delta) (sum Blocks, problems []error, err error) {
	w, ok := ns.Source.(Writer)
	if !ok || e.Agenda == nil {
		return sum, nil, nil
	}
	type blockKey struct {
		series string
		alone  bool
	}
	blocks := map[blockKey]agenda.Block{} // one block per series and cycle
	block := func(t history.Target) (agenda.Block, error) {
		key := blockKey{t.Series.ID, t.Alone}
		if b, ok := blocks[key]; ok {
			return b, nil
		}
		b, err := e.Agenda(ctx, t.Series, t.Alone)
		if err != nil {
			return b, fmt.Errorf("agenda of %s: %w", t.Series.ID, err)
		}
		blocks[key] = b
		return b, nil
	}
	// A target found right last cycle, with the same block, is right:
	// neither it nor its block changed.
	c := e.cacheFor(ns.Name)
	prev := c.right
	c.right = map[*calendar.Event]string{}
	var errs []error
	var objects []*objectWrite
	byHref := map[string]*objectWrite{}
	notifyChecked, notify := false, false
	wouldNotify := func(t history.Target) bool {
		if !hasAttendees(t.Event) || ns.NotifyAttendees {
			return false
		}
		if !notifyChecked {
			notifyChecked = true
			var nerr error
			if notify, nerr = e.wouldNotify(ctx, ns); nerr != nil {
				errs = append(errs, nerr)
			}
		}
		return notify
	}
	if e.Ticker != nil {
		fresh := map[objRef]bool{}
		for _, d := range deltas {
			for _, o := range d.put {
				fresh[objRef{d.cal, o.Href}] = true
			}
		}
		// Every event of a series is read against the block as it was
		// before any of them was applied: a box ticked in one event
		// is not undone by another that still shows it open.
		shown := map[string]agenda.Block{}
		for _, t := range targets {
			if !t.Mine || !t.Alone || !fresh[objRef{t.Event.Calendar, t.Event.Href}] {
				continue
			}
			if ro, err := e.readOnly(ns.Name, t.Event); err != nil || ro || wouldNotify(t) {
				continue // not ours to write: its boxes are not read either
			}
			b, ok := shown[t.Series.ID]
			if !ok {
				var err error
				if b, err = block(t); err != nil {
					continue // reported below
				}
				shown[t.Series.ID] = b
			}
			changed, err := e.applyTicks(ctx, ns, t, t.Event, b)
			if err != nil {
				errs = append(errs, err)
			}
			if changed {
				delete(blocks, blockKey{t.Series.ID, true})
			}
		}
	}
	for _, t := range targets {
		if !t.Mine {
			sum.Refused++
			continue
		}
		if k, ok := prev[t.Event]; ok {
			if b, err := block(t); err == nil && verifyKey(b) == k {
				sum.AlreadyRight++
				c.right[t.Event] = k
				continue
			}
		}
		if ro, err := e.readOnly(ns.Name, t.Event); err != nil || ro {
			if err != nil {
				errs = append(errs, err)
			}
			sum.Refused++
			continue
		}
		if wouldNotify(t) {
			sum.WouldNotify++
			continue
		}
		b, err := block(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o := byHref[t.Event.Href]
		if o == nil {
			o = &objectWrite{href: t.Event.Href, cal: t.Event.Calendar}
			byHref[o.href] = o
			objects = append(objects, o)
		}
		o.targets = append(o.targets, t)
		o.blocks = append(o.blocks, b)
	}
	for _, o := range objects {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		err := e.writeObject(ctx, ns, w, o, &sum)
		switch {
		case err == nil:
		case errors.Is(err, calendar.ErrWriteRefused), errors.Is(err, errBackingOff):
			problems = append(problems, fmt.Errorf("write agenda into %s: %w", o.href, err))
		default:
			errs = append(errs, fmt.Errorf("write agenda into %s: %w", o.href, err))
		}
	}
	if sum.Deferred > 0 {
		e.log().Info("agenda writes left for a later cycle", slog.String("source", ns.Name), slog.Int("events", sum.Deferred))
	}
	return sum, problems, errors.Join(errs...)
}

// applyTicks reads the boxes of ev's block and has the Ticker apply them
// against b, the block the engine would write into t's event.
func (e *Engine) applyTicks(ctx context.Context, ns NamedSource, t history.Target, ev *calendar.Event, b agenda.Block) (bool, error) {
	var ticks []agenda.Tick
	if ns.Source.(Writer).HTMLDescriptions() {
		ticks = agenda.ReadTicksHTML(ev.Description)
	} else {
		ticks = agenda.ReadTicks(ev.Description)
	}
	if len(ticks) == 0 {
		return false, nil
	}
	// A box that reads as we last wrote it is nobody's tick: the store
	// may have changed since (an action done on the command line), and
	// the block is only stale.
	written, err := e.writtenBoxes(ns.Name, ev)
	if err != nil {
		return false, err
	}
	if written != nil {
		ticks = slices.DeleteFunc(ticks, func(tk agenda.Tick) bool {
			done, ok := written[agenda.Tick{Key: tk.Key, Point: tk.Point}]
			return ok && done == tk.Done
		})
		if len(ticks) == 0 {
			return false, nil
		}
	}
	changed, err := e.Ticker.Tick(ctx, t.Series.Pair, b, ticks)
	if err != nil {
		return changed, fmt.Errorf("ticks in %s: %w", ev.Href, err)
	}
	if changed {
		e.log().Info("applied boxes ticked in the calendar", slog.String("source", ns.Name), slog.String("href", ev.Href),
			slog.String("pair", t.Series.Pair.String()))
	}
	return changed, nil
}

// hasAttendees reports whether anyone but the organizer is invited: a
// server that schedules would send them a message for a change.
func hasAttendees(ev *calendar.Event) bool {
	for _, a := range ev.Attendees {
		if a.Email != "" && a.Email != ev.Organizer.Email {
			return true
		}
	}
	return false
}

// wouldNotify asks the source, once per cycle, whether its server would
// notify attendees of our writes.
func (e *Engine) wouldNotify(ctx context.Context, ns NamedSource) (bool, error) {
	n, ok := ns.Source.(Notifier)
	if !ok {
		return false, nil
	}
	notify, server, err := n.WouldNotify(ctx)
	if err != nil {
		// Unknown: do not risk the attendees' inboxes.
		return true, fmt.Errorf("find out whether the server notifies attendees: %w", err)
	}
	if notify {
		e.log().Info("not writing agenda blocks into events with attendees: the server would notify them",
			slog.String("source", ns.Name), slog.String("server", server),
			slog.String("to accept", "set notify_attendees = true for this source"))
	}
	return notify, nil
}

// writeObject merges the blocks into the events of one object and, if any
// changed, writes the object once.
func (e *Engine) writeObject(ctx context.Context, ns NamedSource, w Writer, o *objectWrite, sum *Blocks) error {
	c := e.cacheFor(ns.Name)
	type edit struct {
		ev        *calendar.Event
		old, desc string // the description before and after
		alt       string // the new HTML X-ALT-DESC, "" to leave it
	}
	alts, _ := w.(AltDescriber)
	evs := make([]*calendar.Event, len(o.targets))
	for i, t := range o.targets {
		evs[i] = t.Event
	}
	html := w.HTMLDescriptions()
	var obj calendar.Object // read from the store only when there is something to write
	loaded := false
	for attempt := 0; ; attempt++ {
		var edits []edit
		right := 0
		for i, ev := range evs {
			if ev == nil {
				continue // gone from the object after a conflict
			}
			merged, ok := mergeBlock(ev.Description, o.blocks[i], html)
			alt := ""
			if alts != nil && !html && ev.AltDescription != "" {
				// Outlook shows the HTML description: the block goes
				// there too, inside its body.
				if m := agenda.MergeHTMLDocument(ev.AltDescription, o.blocks[i].HTML()); m != ev.AltDescription {
					alt, ok = m, false
				}
			}
			if ok {
				right++
				if attempt == 0 {
					c.right[ev] = verifyKey(o.blocks[i])
				}
				continue
			}
			edits = append(edits, edit{ev, ev.Description, merged, alt})
		}
		if len(edits) == 0 {
			sum.AlreadyRight += right
			return nil
		}
		if len(edits) > maxEventsPerObject {
			sum.Deferred += len(edits) - maxEventsPerObject
			edits = edits[:maxEventsPerObject]
		}
		if e.DryRun {
			sum.AlreadyRight += right
			sum.Written += len(edits)
			for _, ed := range edits {
				if e.Plan != nil {
					ev := ed.ev
					e.Plan(Planned{Source: ns.Name, Href: ev.Href, Title: ev.Summary, Start: ev.Start, Override: ev.IsOverride(), Old: ed.old, New: ed.desc})
				}
			}
			return nil
		}
		if !loaded {
			if err := e.backingOff(ns.Name, o.href); err != nil {
				sum.Deferred += len(edits)
				return err
			}
			stored, ok, err := e.Store.Object(ns.Name, o.cal, o.href)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("object %s is not stored", o.href)
			}
			obj, loaded = stored, true
		}
		data := obj.Data
		for _, ed := range edits {
			var err error
			if ed.desc != ed.old {
				data, err = w.SetDescription(calendar.Object{Href: obj.Href, ETag: obj.ETag, Data: data}, ed.ev.UID, ed.ev.RecurrenceID, ed.desc)
				if err != nil {
					return err
				}
			}
			if ed.alt != "" {
				data, err = alts.SetAltDescription(calendar.Object{Href: obj.Href, ETag: obj.ETag, Data: data}, ed.ev.UID, ed.ev.RecurrenceID, ed.alt)
				if err != nil {
					return err
				}
			}
		}
		sum.Writes++
		etag, err := w.Put(ctx, o.href, data, obj.ETag)
		switch {
		case err == nil:
			sum.Written += len(edits)
			sum.AlreadyRight += right
			if err := e.clearBackoff(ns.Name, o.href); err != nil {
				return err
			}
			if e.Ticker != nil {
				for _, ed := range edits {
					for i, ev := range evs {
						if ev == ed.ev && o.targets[i].Alone {
							if err := e.rememberBoxes(ns.Name, ev, o.blocks[i]); err != nil {
								return err
							}
						}
					}
				}
			}
			if err := e.Store.PutObject(ns.Name, o.cal, calendar.Object{Href: o.href, ETag: etag, Data: data}); err != nil {
				return err
			}
			e.noteWritten(ns.Name, o.cal, o.href, false)
			return nil
		case errors.Is(err, calendar.ErrForbidden):
			sum.Refused += len(edits)
			for _, ed := range edits {
				if err := e.markReadOnly(ns.Name, ed.ev); err != nil {
					return err
				}
			}
			return nil
		case errors.Is(err, calendar.ErrWriteRefused):
			sum.Deferred += len(edits)
			return e.backOff(ns.Name, o.href, err)
		case !errors.Is(err, calendar.ErrConflict):
			return err
		}
		// Someone changed the object between our read and our write: read
		// it again, merge into what is there now, and try again.
		sum.Conflicts++
		if attempt+1 >= maxConflictRetries {
			return fmt.Errorf("still changing after %d attempts: %w", maxConflictRetries, err)
		}
		e.log().Info("agenda write met a changed object, merging again", slog.String("source", ns.Name), slog.String("href", o.href))
		if obj, err = w.Get(ctx, o.href); err != nil {
			return err
		}
		if err := e.Store.PutObject(ns.Name, o.cal, obj); err != nil {
			return err
		}
		e.noteWritten(ns.Name, o.cal, o.href, true)
		ticked := false
		for i, ev := range evs {
			if ev == nil {
				continue
			}
			fresh, ok := findEvent(ns, ev, obj)
			if !ok {
				evs[i] = nil // the event is gone from the object: nothing to prepare
				continue
			}
			evs[i] = fresh
			// What we are about to overwrite may hold boxes ticked
			// since we read it: they count first.
			if t := o.targets[i]; e.Ticker != nil && t.Alone {
				changed, err := e.applyTicks(ctx, ns, t, fresh, o.blocks[i])
				if err != nil {
					return err
				}
				ticked = ticked || changed
			}
		}
		if ticked {
			for i, t := range o.targets {
				b, err := e.Agenda(ctx, t.Series, t.Alone)
				if err != nil {
					return fmt.Errorf("agenda of %s: %w", t.Series.ID, err)
				}
				o.blocks[i] = b
			}
		}
	}
}

// mergeBlock puts the block into desc and says whether desc already had
// it: merging a block that is right leaves the description as it is.
// verifyKey is what a block found right is remembered by: every field it
// is made from (cheaper than making it), each with its length.
func verifyKey(b agenda.Block) string {
	var k []byte
	add := func(s string) { k = append(strconv.AppendInt(k, int64(len(s)), 10), s...) }
	add(b.Link)
	add(b.With)
	if b.Location != nil {
		add(b.Location.String())
	}
	add(b.Share)
	k = strconv.AppendInt(append(k, ' '), int64(b.MaxPoints), 10)
	for _, p := range b.Points {
		add(p.ID)
		add(p.Author)
		add(p.Text)
		add(p.Origin)
		for _, t := range []time.Time{p.Added, p.Discussed, p.Meeting} {
			k = strconv.AppendInt(append(k, ' '), t.UnixNano(), 10)
		}
	}
	k = append(k, '|')
	for _, a := range b.Actions {
		add(a.ID)
		add(a.Owner)
		add(a.Text)
		add(a.Pair.A)
		add(a.Pair.B)
		add(a.Origin)
		for _, t := range []time.Time{a.Since, a.Due, a.Done} {
			k = strconv.AppendInt(append(k, ' '), t.UnixNano(), 10)
		}
	}
	return string(k)
}

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

// readOnlyKey names the fact that the server refused a write to an event,
// in namespace store.FactsReadOnly.
func readOnlyKey(source string, ev *calendar.Event) string {
	key := source + " " + ev.Href
	if ev.IsOverride() {
		key += " " + ev.RecurrenceID.UTC().Format(time.RFC3339)
	}
	return key
}

// writtenBoxes returns the boxes of the block last written into ev, nil
// when none is remembered.
func (e *Engine) writtenBoxes(source string, ev *calendar.Event) (map[agenda.Tick]bool, error) {
	b, ok, err := e.Store.Facts(store.FactsWrittenBoxes).Bytes(readOnlyKey(source, ev))
	if err != nil || !ok {
		return nil, err
	}
	out := map[agenda.Tick]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) < 3 {
			continue
		}
		out[agenda.Tick{Key: line[3:], Point: line[0] == 'p'}] = line[1] == 'x'
	}
	return out, nil
}

// rememberBoxes records the boxes of b, just written into ev.
func (e *Engine) rememberBoxes(source string, ev *calendar.Event, b agenda.Block) error {
	var lines []string
	for _, tk := range agenda.ReadTicks(b.Text()) {
		kind, box := "a", "o"
		if tk.Point {
			kind = "p"
		}
		if tk.Done {
			box = "x"
		}
		lines = append(lines, kind+box+" "+tk.Key)
	}
	return e.Store.Facts(store.FactsWrittenBoxes).Expiring(store.WrittenBoxesTTL).PutBytes(readOnlyKey(source, ev), []byte(strings.Join(lines, "\n")))
}

// readOnlyMarks are the events the server refused to let us write (403):
// each mark expires store.ReadOnlyTTL after the refusal, and the write is
// tried again, so that a permission granted since is used.
func (e *Engine) readOnlyMarks() store.Facts {
	return e.Store.Facts(store.FactsReadOnly).Expiring(store.ReadOnlyTTL)
}

func (e *Engine) readOnly(source string, ev *calendar.Event) (bool, error) {
	_, ok, err := e.readOnlyMarks().Time(readOnlyKey(source, ev))
	return ok, err
}

// markReadOnly remembers a 403, so the event is not tried again for
// store.ReadOnlyTTL.
func (e *Engine) markReadOnly(source string, ev *calendar.Event) error {
	e.log().Info("server refused an agenda write; not trying this event again for a while", slog.String("source", source), slog.String("href", ev.Href),
		slog.Duration("for", store.ReadOnlyTTL))
	return e.readOnlyMarks().PutTime(readOnlyKey(source, ev), e.now().UTC().Truncate(time.Second))
}

// A write the server refused waits, before it is tried again, backoffBase
// after the first refusal, twice as long after each further one, at most
// backoffMax: a lasting refusal costs one request a day.
const (
	backoffBase = 10 * time.Minute
	backoffMax  = 24 * time.Hour
)

// errBackingOff is the problem of an object whose writes are waiting.
var errBackingOff = errors.New("waiting before trying again")

// refusal is what is remembered of an object whose writes the server refuses.
type refusal struct {
	Since    time.Time `json:"since"`    // the first refusal of this run
	Failures int       `json:"failures"` // refusals in a row
	Next     time.Time `json:"next"`     // no write before this
	Answer   string    `json:"answer"`   // the server's last answer
}

// refusalKey names the refusal record of an object, in namespace
// store.FactsWriteRefused.
func refusalKey(source, href string) string { return source + " " + href }

// refusals are the refusal records; one not rewritten for
// store.WriteRefusedTTL is of an object no longer written, and forgotten.
func (e *Engine) refusals() store.Facts {
	return e.Store.Facts(store.FactsWriteRefused).Expiring(store.WriteRefusedTTL)
}

func (e *Engine) refusal(source, href string) (refusal, bool, error) {
	v, ok, err := e.refusals().Bytes(refusalKey(source, href))
	if err != nil || !ok {
		return refusal{}, false, err
	}
	var r refusal
	if err := json.Unmarshal(v, &r); err != nil {
		return refusal{}, false, nil // unreadable: as if none
	}
	return r, true, nil
}

// backingOff returns errBackingOff, with what the server said, while the
// object's writes wait.
func (e *Engine) backingOff(source, href string) error {
	r, ok, err := e.refusal(source, href)
	if err != nil || !ok || !e.now().Before(r.Next) {
		return err
	}
	return fmt.Errorf("%w at %s: refusals in a row: %d, since %s (%s)", errBackingOff,
		r.Next.UTC().Format(time.RFC3339), r.Failures, r.Since.UTC().Format(time.RFC3339), r.Answer)
}

// backOff remembers a refusal and returns it as the object's problem.
func (e *Engine) backOff(source, href string, refused error) error {
	r, _, err := e.refusal(source, href)
	if err != nil {
		return err
	}
	now := e.now()
	if r.Failures == 0 {
		r.Since = now
	}
	r.Failures++
	wait := backoffMax
	if r.Failures < 10 {
		wait = min(backoffBase<<(r.Failures-1), backoffMax)
	}
	r.Next, r.Answer = now.Add(wait), refused.Error()
	b, _ := json.Marshal(r)
	if err := e.refusals().PutBytes(refusalKey(source, href), b); err != nil {
		return err
	}
	e.log().Warn("server refused an agenda write; trying this object again later",
		slog.String("source", source), slog.String("href", href), slog.Int("refusals", r.Failures),
		slog.Time("next", r.Next), slog.String("answer", r.Answer))
	return fmt.Errorf("%w (%d in a row; next try at %s)", refused, r.Failures, r.Next.UTC().Format(time.RFC3339))
}

// clearBackoff forgets the refusals of an object written at last.
func (e *Engine) clearBackoff(source, href string) error {
	if _, ok, err := e.refusal(source, href); err != nil || !ok {
		return err
	}
	return e.refusals().Delete(refusalKey(source, href))
}
