package web

import (
	"bytes"
	"context"
	"html/template"
	"net/http"

	"oneonone/report"
)

// rollup loads and builds the roll-up of week (zero: the last full week)
// over the same window, instant and stale sources as the report
// (docs/DESIGN.md, "The roll-up"). It is everyone's, whoever looks: only
// requireAdmin lets a viewer reach it, so it reads the whole store and
// every person of Options.Me, not the viewer's pairs as the report does.
func (s *Server) rollup(ctx context.Context, week report.Week) (*report.Rollup, error) {
	now := s.now()
	in := report.Input{
		Week: week, Location: s.opt.Location, Now: now,
		TrailingWeeks: s.opt.TrailingWeeks, LateNotice: s.opt.LateNotice, Me: s.opt.Me,
		Stale: s.staleSources(),
	}
	if in.Week.IsZero() {
		in.Week = report.LastFullWeek(now, s.opt.Location)
	}
	in, err := report.LoadRollup(ctx, in, s.opt.Store)
	if err != nil {
		return nil, err
	}
	return report.BuildRollup(in), nil
}

// rollupPage is GET /rollup: the roll-up as a page, with the week
// navigation of the report.
func (s *Server) rollupPage(w http.ResponseWriter, r *http.Request) {
	week, err := weekParam(r)
	if err != nil {
		s.messagePage(w, http.StatusBadRequest, "No such week", err.Error())
		return
	}
	ru, err := s.rollup(r.Context(), week)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	nav := s.weekNav(ru.Week)
	for i := range nav {
		nav[i].URL = "/rollup" + nav[i].URL[len("/"):]
	}
	nav = append(nav, report.Link{Text: "the report", URL: "/"})
	var b bytes.Buffer
	if err := ru.WriteHTMLWith(&b, report.HTMLOptions{Style: template.CSS(webStyle), Nav: nav}); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, http.StatusOK, b.Bytes())
}

// apiRollup is GET /api/rollup[?week=2026-W47][&format=json|text|markdown|html].
func (s *Server) apiRollup(w http.ResponseWriter, r *http.Request) {
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
	ru, err := s.rollup(r.Context(), week)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.WriteRollup(&b, ru, format); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", reportTypes[format])
	w.Write(b.Bytes())
}
