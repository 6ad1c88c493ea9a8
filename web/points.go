package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
)

// PointView is a talking point as the API shows it (GET /api/points and
// the other /api/points answers), and as "oneonone points list --format
// json" prints it: its times in the configured zone, Discussed and Meeting
// absent while it is open.
type PointView struct {
	ID        string    `json:"id"`
	Pair      string    `json:"pair"`
	With      string    `json:"with"` // the counterpart
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	Added     time.Time `json:"added"`
	Discussed time.Time `json:"discussed,omitzero"`
	Meeting   time.Time `json:"meeting,omitzero"` // the 1:1 it was discussed in
	Origin    string    `json:"origin"`
}

// ViewPoint returns p as shown to the user me (identity.me[0]), its times
// in loc (nil: UTC).
func ViewPoint(p agenda.Point, me string, loc *time.Location) PointView {
	if loc == nil {
		loc = time.UTC
	}
	v := PointView{
		ID: p.ID, Pair: p.Pair.String(), With: p.Pair.Other(calendar.NormalizeEmail(me)), Author: p.Author,
		Text: p.Text, Added: p.Added.In(loc), Origin: p.Origin,
	}
	if !p.Discussed.IsZero() {
		v.Discussed = p.Discussed.In(loc)
	}
	if !p.Meeting.IsZero() {
		v.Meeting = p.Meeting.In(loc)
	}
	return v
}

// ViewPoints is ViewPoint of each of ps, never nil.
func ViewPoints(ps []agenda.Point, me string, loc *time.Location) []PointView {
	out := make([]PointView, 0, len(ps))
	for _, p := range ps {
		out = append(out, ViewPoint(p, me, loc))
	}
	return out
}

// MarkDiscussed marks the stored point id discussed at now, in the 1:1
// agenda.DiscussedIn finds among the pair's held ones (agenda.BegunStarts),
// or open again when discussed is false. ok is false when there is no
// such point. The command line (without a daemon) and PATCH /api/points/{id}
// both mark points by it.
func MarkDiscussed(st *store.Store, id string, discussed bool, now time.Time) (agenda.Point, bool, error) {
	p, ok, err := st.Point(id)
	if err != nil || !ok {
		return p, ok, err
	}
	if !discussed {
		return st.SetPointDiscussed(id, time.Time{}, time.Time{})
	}
	if !p.Open() {
		// Marking a discussed point discussed again keeps when and where.
		return p, true, nil
	}
	starts, err := agenda.BegunStarts(st, p.Pair, now.AddDate(-1, 0, 0), now)
	if err != nil {
		return agenda.Point{}, false, err
	}
	return st.SetPointDiscussed(id, now, agenda.DiscussedIn(p, starts, now))
}

func (s *Server) pointOf(ctx context.Context, p agenda.Point) PointView {
	return ViewPoint(p, s.me(ctx)[0], s.opt.Location)
}

// apiPoints is GET /api/points?with=EMAIL&all=1: the stored talking points
// (open ones, or all with all=1) of every pair or of the pair with EMAIL.
func (s *Server) apiPoints(w http.ResponseWriter, r *http.Request) {
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
	list, err := s.opt.Store.Points(pair)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	list = slices.DeleteFunc(list, func(p agenda.Point) bool { return (!all && !p.Open()) || !s.mayView(r.Context(), p.Pair) })
	writeJSON(w, http.StatusOK, ViewPoints(list, s.me(r.Context())[0], s.opt.Location))
}

// newPoint is the body of POST /api/points.
type newPoint struct {
	With   string `json:"with"`   // the counterpart (required)
	Author string `json:"author"` // one of the pair; default: me
	Text   string `json:"text"`   // required
	// Force keeps a point of a counterpart of no known 1:1.
	Force bool `json:"force"`
}

// apiAddPoint is POST /api/points: adds a talking point of Me[0]'s pair
// with "with". agenda.NewPoint says what is taken; its field errors are
// the answer's, as POST /api/actions's.
func (s *Server) apiAddPoint(w http.ResponseWriter, r *http.Request) {
	var req newPoint
	if field, msg := decodeBody(r.Body, &req); msg != "" {
		writeFieldError(w, field, msg)
		return
	}
	p, err := agenda.NewPoint(agenda.PointInput{
		Me: s.me(r.Context()), With: req.With, Author: req.Author, Text: req.Text, Now: s.now(),
		Known: s.known(r.Context()), Force: req.Force,
	})
	if err != nil {
		s.actionError(w, r, err)
		return
	}
	if !s.mayView(r.Context(), p.Pair) { // the viewer's own by construction
		writeError(w, http.StatusNotFound, "no 1:1 with "+p.Pair.String())
		return
	}
	if p, err = s.opt.Store.AddPoint(p); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/points/"+p.ID)
	writeJSON(w, http.StatusCreated, s.pointOf(r.Context(), p))
}

// pointPatch is the body of PATCH /api/points/{id}.
type pointPatch struct {
	Discussed *bool `json:"discussed"` // true: discussed now; false: open again
}

// noPoint answers 404 for the request's {id}.
func noPoint(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, fmt.Sprintf("no talking point %q", id))
}

// visiblePoint answers 404 and returns false when the request's {id} is
// no stored point, or is one of a pair the viewer may not see (mayView):
// another viewer's point is answered as one that does not exist.
func (s *Server) visiblePoint(w http.ResponseWriter, r *http.Request) bool {
	p, ok, err := s.opt.Store.Point(r.PathValue("id"))
	if err != nil {
		s.internalError(w, r, err)
		return false
	}
	if !ok || !s.mayView(r.Context(), p.Pair) {
		noPoint(w, r.PathValue("id"))
		return false
	}
	return true
}

// apiPatchPoint is PATCH /api/points/{id} {"discussed": true|false}:
// marks a stored point discussed, in the 1:1 agenda.DiscussedIn finds
// (MarkDiscussed), or open again.
func (s *Server) apiPatchPoint(w http.ResponseWriter, r *http.Request) {
	var req pointPatch
	if field, msg := decodeBody(r.Body, &req); msg != "" {
		writeFieldError(w, field, msg)
		return
	}
	if req.Discussed == nil {
		writeFieldError(w, "discussed", "want true or false")
		return
	}
	if !s.visiblePoint(w, r) {
		return
	}
	p, ok, err := MarkDiscussed(s.opt.Store, r.PathValue("id"), *req.Discussed, s.now())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		noPoint(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, s.pointOf(r.Context(), p))
}

// apiDeletePoint is DELETE /api/points/{id}: deletes a stored point for
// good and answers with what it was.
func (s *Server) apiDeletePoint(w http.ResponseWriter, r *http.Request) {
	if !s.visiblePoint(w, r) {
		return
	}
	p, ok, err := s.opt.Store.DeletePoint(r.PathValue("id"))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		noPoint(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, s.pointOf(r.Context(), p))
}

// pointRoutes adds the /api/points routes to mux: the web face's and the
// control socket's.
func (s *Server) pointRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/points", s.apiPoints)
	mux.HandleFunc("POST /api/points", s.apiAddPoint)
	mux.HandleFunc("PATCH /api/points/{id}", s.apiPatchPoint)
	mux.HandleFunc("DELETE /api/points/{id}", s.apiDeletePoint)
}
