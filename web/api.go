package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
)

// input reads what a report of week (zero: the last full week) needs; with
// counts, each pair's open actions are counted too. It reads the trailing
// window only (report.Load); inputAll reads every occurrence.
func (s *Server) input(ctx context.Context, week report.Week, counts bool) (report.Input, error) {
	return s.load(ctx, week, counts, report.Load)
}

// inputAll is input with every occurrence ever stored (report.LoadAll), for
// the pages that show a pair's whole history.
func (s *Server) inputAll(ctx context.Context, week report.Week, counts bool) (report.Input, error) {
	return s.load(ctx, week, counts, report.LoadAll)
}

type loadFunc func(context.Context, report.Input, report.History, func(context.Context, calendar.Pair) (int, error)) (report.Input, error)

func (s *Server) load(ctx context.Context, week report.Week, counts bool, load loadFunc) (report.Input, error) {
	now := s.now()
	in := report.Input{
		Week:          week,
		Location:      s.opt.Location,
		Now:           now,
		TrailingWeeks: s.opt.TrailingWeeks,
		LateNotice:    s.opt.LateNotice,
		Me:            s.me(ctx),
	}
	if in.Week.IsZero() {
		in.Week = report.LastFullWeek(now, s.opt.Location)
	}
	in.Stale = s.staleSources()
	var open func(context.Context, calendar.Pair) (int, error)
	if counts {
		open = func(ctx context.Context, p calendar.Pair) (int, error) {
			return len(s.openActions(ctx, p)), nil
		}
	}
	h := s.history(ctx)
	in, err := load(ctx, in, h, open)
	if err != nil {
		return in, err
	}
	if _, ok := h.(*store.Store); !ok {
		// Load reads the make-ups from a store only.
		if in.WayBacks, err = report.ReadWayBacks(s.opt.Store); err != nil {
			return report.Input{}, err
		}
		// A viewer hears of the stale sources of their own series only:
		// another's source is named for the person it syncs.
		mine := map[string]bool{}
		for _, ser := range in.Series {
			mine[ser.Source] = true
		}
		in.Stale = slices.DeleteFunc(in.Stale, func(st report.StaleSource) bool { return !mine[st.Name] })
	}
	return in, nil
}

// staleSources returns the sources Options.Health says are stale, as the
// report lists them; none without Health.
func (s *Server) staleSources() []report.StaleSource {
	if s.opt.Health == nil {
		return nil
	}
	var out []report.StaleSource
	for _, h := range s.opt.Health() {
		if !h.Stale {
			continue
		}
		st := report.StaleSource{Name: h.Source, Error: h.LastError}
		if !h.LastSuccess.IsZero() {
			t := h.LastSuccess
			st.Since = &t
		}
		out = append(out, st)
	}
	return out
}

// openActions returns a pair's open actions. A failure (a document that
// cannot be read) is logged: what came back is still shown.
func (s *Server) openActions(ctx context.Context, p calendar.Pair) []agenda.Action {
	acts, err := s.opt.Actions(ctx, p)
	if err != nil {
		s.opt.Log.Warn("read open actions", slog.String("pair", p.String()), slog.String("error", err.Error()))
	}
	return acts
}

// weekParam returns ?week=, the zero Week when it is absent.
func weekParam(r *http.Request) (report.Week, error) {
	v := r.URL.Query().Get("week")
	if v == "" {
		return report.Week{}, nil
	}
	return report.ParseWeek(v)
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"` // the request field that is wrong
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encode json: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func writeFieldError(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusBadRequest, apiError{Error: field + ": " + msg, Field: field})
}

// actionError answers agenda's refusal of an action's field with that
// field's error (400; 422 for a counterpart of no known 1:1, which the
// same request with "force" takes), and any other error as internal.
func (s *Server) actionError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *agenda.FieldError
	if errors.As(err, &fe) && errors.Is(err, agenda.ErrNoOneOnOne) {
		// agenda says it in the command line's words.
		msg := strings.Replace(fe.Msg, "--force", `"force": true`, 1)
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: fe.Field + ": " + msg, Field: fe.Field})
		return
	}
	if errors.As(err, &fe) {
		writeFieldError(w, fe.Field, fe.Msg)
		return
	}
	s.internalError(w, r, err)
}

// internalError logs err and answers 500 without its details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.opt.Log.Error("web request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	if isAPI(r) {
		writeError(w, http.StatusInternalServerError, "internal error (logged)")
		return
	}
	s.messagePage(w, http.StatusInternalServerError, "Something went wrong", "The error is in oneonone's log.")
}

// apiReport is GET /api/report?week=&format=: the report JSON (docs/DESIGN.md,
// "Report JSON"), or with format=text|markdown|html the report as
// "oneonone report" renders it.
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	week, err := weekParam(r)
	if err != nil {
		writeFieldError(w, "week", err.Error())
		return
	}
	format, ok := formatParam(r, "json", reportTypes)
	if !ok {
		writeFieldError(w, "format", "want json, text, markdown or html")
		return
	}
	in, err := s.input(r.Context(), week, true)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.Write(&b, report.Build(in), format); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", reportTypes[format])
	w.Write(b.Bytes())
}

// reportTypes are the formats of GET /api/report?format= and their
// content types.
var reportTypes = map[string]string{
	"json":     "application/json; charset=utf-8",
	"text":     "text/plain; charset=utf-8",
	"markdown": "text/markdown; charset=utf-8",
	"html":     "text/html; charset=utf-8",
}

// formatParam returns ?format=, def when it is absent, and false when it
// is not one of those of types.
func formatParam(r *http.Request, def string, types map[string]string) (string, bool) {
	f := r.URL.Query().Get("format")
	if f == "" {
		f = def
	}
	_, ok := types[f]
	return f, ok
}

// seriesTypes are the formats of GET /api/series?format=.
var seriesTypes = map[string]string{
	"json": "application/json; charset=utf-8",
	"text": "text/plain; charset=utf-8",
}

// apiSeries is GET /api/series: every pair with its trailing metrics;
// ?format=text gives them as "oneonone series" prints them.
func (s *Server) apiSeries(w http.ResponseWriter, r *http.Request) {
	format, ok := formatParam(r, "json", seriesTypes)
	if !ok {
		writeFieldError(w, "format", "want json or text")
		return
	}
	in, err := s.input(r.Context(), report.Week{}, true)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, report.Summaries(in))
		return
	}
	var b bytes.Buffer
	if err := report.WriteSummariesText(&b, report.Summaries(in)); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", seriesTypes[format])
	w.Write(b.Bytes())
}

// actionOf is an action as the API shows it: agenda's one JSON shape of
// an action, which oneonone actions list --format json prints too.
func (s *Server) actionOf(ctx context.Context, a agenda.Action) agenda.ActionView {
	return a.View(s.me(ctx)[0], s.opt.Location)
}

// apiActions is GET /api/actions?with=EMAIL&all=1: the stored actions (open
// ones, or all with all=1) of every pair or of the pair with EMAIL, and
// with with= also the open items of the pair's agenda document.
func (s *Server) apiActions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var pair calendar.Pair
	if with := q.Get("with"); with != "" {
		var err error
		if pair, err = agenda.PairWith(s.me(r.Context()), with); err != nil {
			s.actionError(w, r, err)
			return
		}
	}
	all := false
	switch q.Get("all") {
	case "", "0", "false":
	case "1", "true":
		all = true
	default:
		writeFieldError(w, "all", "want 1 or 0")
		return
	}
	list, err := s.opt.Store.Actions(pair)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	list = slices.DeleteFunc(list, func(a agenda.Action) bool { return (!all && !a.Done.IsZero()) || !s.mayView(r.Context(), a.Pair) })
	if pair != (calendar.Pair{}) {
		for _, a := range s.openActions(r.Context(), pair) {
			if a.Origin != "store" {
				list = append(list, a)
			}
		}
	}
	writeJSON(w, http.StatusOK, agenda.Views(list, s.me(r.Context())[0], s.opt.Location))
}

// newAction is the body of POST /api/actions.
type newAction struct {
	With  string `json:"with"`  // the counterpart (required)
	Owner string `json:"owner"` // one of the pair; default: me
	Text  string `json:"text"`  // required
	Due   string `json:"due"`   // YYYY-MM-DD, optional
	// Force keeps an action with a counterpart of no known 1:1.
	Force bool `json:"force"`
}

// apiAddAction is POST /api/actions: adds an action of Me[0]'s pair with
// "with". agenda.NewAction says what is taken; its field errors are the
// answer's.
func (s *Server) apiAddAction(w http.ResponseWriter, r *http.Request) {
	var req newAction
	if field, msg := decodeBody(r.Body, &req); msg != "" {
		writeFieldError(w, field, msg)
		return
	}
	a, err := agenda.NewAction(agenda.ActionInput{
		Me: s.me(r.Context()), With: req.With, Owner: req.Owner, Text: req.Text,
		Due: req.Due, Location: s.opt.Location, Now: s.now(),
		Known: s.known(r.Context()), Force: req.Force,
	})
	if err != nil {
		s.actionError(w, r, err)
		return
	}
	if !s.mayView(r.Context(), a.Pair) { // the viewer's own by construction; the rule is asked all the same
		writeError(w, http.StatusNotFound, "no 1:1 with "+a.Pair.String())
		return
	}
	if a, err = s.opt.Store.AddAction(a); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/actions/"+a.ID)
	writeJSON(w, http.StatusCreated, s.actionOf(r.Context(), a))
}

// patchBody is the body of PATCH /api/actions/{id}: each field given
// changes the action; at least one is.
type patchBody struct {
	Done  *bool   `json:"done"`  // true: done now (a done one keeps when); false: open again
	Text  *string `json:"text"`  // by NewAction's rules
	Due   *string `json:"due"`   // YYYY-MM-DD; "" takes the due date away
	Owner *string `json:"owner"` // one of the pair; "" is the user
}

// docItemRefusal is what an ID of an agenda document's item is answered
// with when it is to be changed: the document is where it changes.
const docItemRefusal = "items of an agenda document are ticked, edited and deleted in the document"

// storedAction returns the stored action of the request's {id}, or
// answers 404 and returns false.
func (s *Server) storedAction(w http.ResponseWriter, r *http.Request) (agenda.Action, bool) {
	id := r.PathValue("id")
	a, ok, err := s.opt.Store.Action(id)
	if err != nil {
		s.internalError(w, r, err)
		return agenda.Action{}, false
	}
	// Another viewer's action is answered as one that does not exist.
	if !ok || !s.mayView(r.Context(), a.Pair) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no action %q (%s)", id, docItemRefusal))
		return agenda.Action{}, false
	}
	return a, true
}

// apiPatchAction is PATCH /api/actions/{id} {"done","text","due","owner"}:
// marks a stored action done or open again, and edits its fields by
// agenda.EditAction (NewAction's rules, its field errors the answer's).
// Nothing is stored unless every field given is taken.
func (s *Server) apiPatchAction(w http.ResponseWriter, r *http.Request) {
	var req patchBody
	if field, msg := decodeBody(r.Body, &req); msg != "" {
		writeFieldError(w, field, msg)
		return
	}
	edit := agenda.ActionEdit{Text: req.Text, Due: req.Due, Owner: req.Owner, Location: s.opt.Location}
	if req.Done == nil && edit.IsZero() {
		writeFieldError(w, "body", "want at least one of done, text, due, owner")
		return
	}
	a, ok := s.storedAction(w, r)
	if !ok {
		return
	}
	if !edit.IsZero() {
		var err error
		if a, err = agenda.EditAction(a, s.me(r.Context()), edit); err != nil {
			s.actionError(w, r, err)
			return
		}
	}
	// Marking a done action done again keeps when it was done.
	if req.Done != nil && *req.Done != !a.Done.IsZero() {
		a.Done = time.Time{}
		if *req.Done {
			a.Done = s.now()
		}
	}
	if ok, err := s.opt.Store.UpdateAction(a); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("action %s vanished", a.ID)
		}
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.actionOf(r.Context(), a))
}

// apiDeleteAction is DELETE /api/actions/{id}: deletes a stored action
// for good and answers with what it was.
func (s *Server) apiDeleteAction(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.storedAction(w, r); !ok {
		return
	}
	a, ok, err := s.opt.Store.DeleteAction(r.PathValue("id"))
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("action %s vanished", r.PathValue("id"))
		}
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.actionOf(r.Context(), a))
}

// decodeBody decodes one JSON object from body into v, refusing unknown
// fields and trailing data. It returns the field at fault ("body" when it
// is the whole) and what is wrong; msg is "" on success.
func decodeBody(body io.Reader, v any) (field, msg string) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return "body", "want exactly one JSON object"
		}
		return "", ""
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return typeErr.Field, fmt.Sprintf("want a %s, got a JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &maxErr):
		return "body", fmt.Sprintf("larger than %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return "body", "want a JSON object, got nothing"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`), "unknown field"
	}
	return "body", "want a JSON object: " + err.Error()
}

// SyncSummary is what POST /api/sync says of one source (sync.Summary):
// the daemon writes it, and the command line reads it back with Summary.
type SyncSummary struct {
	Source    string     `json:"source"`
	Calendars int        `json:"calendars"`
	Objects   int        `json:"objects"`
	Changed   int        `json:"changed"`
	Series    int        `json:"series"`
	Requests  int        `json:"requests"`
	Problems  int        `json:"problems"` // objects read in part or not at all (logged)
	Blocks    SyncBlocks `json:"blocks"`
	Error     string     `json:"error,omitempty"`
}

// SyncBlocks is sync.Blocks in a SyncSummary.
type SyncBlocks struct {
	Written      int `json:"written"`
	Writes       int `json:"writes"`
	AlreadyRight int `json:"already_right"`
	Conflicts    int `json:"conflicts"`
	Refused      int `json:"refused"`
	WouldNotify  int `json:"would_notify"` // refused: the server would mail the attendees
	Deferred     int `json:"deferred"`     // left for a later cycle
}

// SyncSummaryOf is sum as POST /api/sync says it: its problems counted,
// its error as text.
func SyncSummaryOf(sum sync.Summary) SyncSummary {
	ss := SyncSummary{
		Source: sum.Source, Calendars: sum.Calendars, Objects: sum.Objects, Changed: sum.Changed,
		Series: sum.Series, Requests: sum.Requests, Problems: len(sum.Problems),
		Blocks: SyncBlocks(sum.Blocks),
	}
	if sum.Err != nil {
		ss.Error = sum.Err.Error()
	}
	return ss
}

// Summary is the sync.Summary that ss says: as many (unnamed) problems as
// it counts, its error as an error, DryRun as given.
func (ss SyncSummary) Summary(dryRun bool) sync.Summary {
	s := sync.Summary{
		Source: ss.Source, Calendars: ss.Calendars, Objects: ss.Objects, Changed: ss.Changed, Series: ss.Series,
		Requests: ss.Requests, Problems: make([]error, ss.Problems), DryRun: dryRun,
		Blocks: sync.Blocks(ss.Blocks),
	}
	if ss.Error != "" {
		s.Err = errors.New(ss.Error)
	}
	return s
}

// apiSync is POST /api/sync: one cycle of every source now. A second
// request while one runs gets 409.
func (s *Server) apiSync(w http.ResponseWriter, r *http.Request) {
	if s.opt.SyncNow == nil {
		writeError(w, http.StatusServiceUnavailable, "sync is not available here")
		return
	}
	if !s.syncing.TryLock() {
		writeError(w, http.StatusConflict, "a sync started here is still running")
		return
	}
	defer s.syncing.Unlock()
	// A cycle takes as long as the calendars do: lift the server's read
	// and write deadlines for this one request (one at a time, see
	// syncing). The read deadline matters too: when it passes, the server
	// cancels the request's context, and with it the sync. A client that
	// goes away still cancels it.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	dry := r.URL.Query().Get("dry_run") == "1"
	var sums []sync.Summary
	var plan []sync.Planned
	var err error
	if dry {
		if s.opt.PlanNow == nil {
			writeError(w, http.StatusServiceUnavailable, "a dry run is not available here")
			return
		}
		sums, plan, err = s.opt.PlanNow(r.Context())
	} else {
		sums, err = s.opt.SyncNow(r.Context())
	}
	if err != nil && len(sums) == 0 {
		s.opt.Log.Warn("sync now failed", slog.String("error", err.Error()))
		writeError(w, http.StatusBadGateway, "sync: "+err.Error())
		return
	}
	out := make([]SyncSummary, 0, len(sums))
	for _, sum := range sums {
		out = append(out, SyncSummaryOf(sum))
	}
	if dry {
		planned := make([]plannedWrite, 0, len(plan))
		for _, p := range plan {
			planned = append(planned, plannedWrite{Source: p.Source, Href: p.Href, Title: p.Title, Start: p.Start, Override: p.Override, Old: p.Old, New: p.New})
		}
		writeJSON(w, http.StatusOK, dryRun{Summaries: out, Planned: planned})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// dryRun is the answer to POST /api/sync?dry_run=1.
type dryRun struct {
	Summaries []SyncSummary  `json:"summaries"`
	Planned   []plannedWrite `json:"planned"`
}

// plannedWrite is a block write a dry run would make (sync.Planned).
type plannedWrite struct {
	Source   string    `json:"source"`
	Href     string    `json:"href"`
	Title    string    `json:"title"`
	Start    time.Time `json:"start"`
	Override bool      `json:"override"`
	Old      string    `json:"old"`
	New      string    `json:"new"`
}

// health is the body of /healthz.
type health struct {
	// Status is "ok" (every source synced lately), "degraded" (some are
	// stale) or "stale" (all are, or there is none: 503).
	Status  string         `json:"status"`
	Sources []SourceHealth `json:"sources"`
}

// healthz is GET /healthz.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	h := health{Sources: []SourceHealth{}}
	if s.opt.Health != nil {
		if got := s.opt.Health(); got != nil {
			h.Sources = got
		}
	}
	stale := 0
	for _, src := range h.Sources {
		if src.Stale {
			stale++
		}
	}
	code := http.StatusOK
	switch {
	case stale == len(h.Sources):
		h.Status, code = "stale", http.StatusServiceUnavailable
	case stale > 0:
		h.Status = "degraded"
	default:
		h.Status = "ok"
	}
	writeJSON(w, code, h)
}
