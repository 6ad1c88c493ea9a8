package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"oneonone/calendar"
)

// HistoryRow is one occurrence of a pair's history, as the history
// exports (CSV, JSON, text) show it. Times are in Input.Location.
type HistoryRow struct {
	Occurrence        // as the weekly report shows it
	MadeUpBy   string `json:"made_up_by,omitempty"` // UID of the one-off that made up a cancelled slot
	Vanished   bool   `json:"vanished,omitempty"`
}

// PairHistory returns every known occurrence of pair p, oldest first (by
// original start, then series), with the same grouping and de-duplication
// as the metrics: an occurrence belongs to its Pair, or to its series'
// pair when that is empty; the last one given of a (series, original
// start) wins; a zero Start is the original start. false when p has no
// series. The web face's history.csv and "oneonone history" both use it.
func PairHistory(in Input, p calendar.Pair) ([]HistoryRow, bool) {
	in = in.normalized()
	for _, g := range groupByPair(in) {
		if g.pair != p {
			continue
		}
		rows := make([]HistoryRow, 0, len(g.occ))
		for _, o := range g.occ {
			rows = append(rows, HistoryRow{Occurrence: g.occurrence(o, in.Location, in.Me), MadeUpBy: o.MadeUpBy, Vanished: o.Vanished})
		}
		return rows, true
	}
	return nil, false
}

// PairHistoryWith is PairHistory of the pair of the user and with, under
// whichever of the user's addresses (identity.me) the pair is known.
func PairHistoryWith(in Input, me []string, with string) ([]HistoryRow, bool) {
	for _, m := range me {
		if p := calendar.NewPair(m, with); p.A != p.B {
			if rows, ok := PairHistory(in, p); ok {
				return rows, true
			}
		}
	}
	return nil, false
}

// HistoryCSVHeader is the header row of WriteHistoryCSV.
var HistoryCSVHeader = []string{"series_id", "title", "original_start", "start", "state", "shift_minutes", "made_up_by", "vanished"}

// WriteHistoryCSV writes rows as RFC 4180 CSV with a header row; times are
// RFC 3339 with their offset.
func WriteHistoryCSV(w io.Writer, rows []HistoryRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(HistoryCSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{
			inert(r.SeriesID), inert(r.Title),
			r.OriginalStart.Format(time.RFC3339), r.Start.Format(time.RFC3339),
			string(r.State), strconv.Itoa(r.ShiftMinutes), inert(r.MadeUpBy), strconv.FormatBool(r.Vanished),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// inert keeps a text cell from being read as a formula by a spreadsheet:
// a title comes from whoever sent the invitation, and "=HYPERLINK(…)" in
// it would run when the CSV is opened. A cell that starts with = + - @ or
// a tab or CR gets a leading apostrophe (OWASP's advice for CSV injection).
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteHistory writes rows as "csv", "json" (an array) or "text" (an
// aligned table).
func WriteHistory(w io.Writer, rows []HistoryRow, format string) error {
	switch format {
	case "csv":
		return WriteHistoryCSV(w, rows)
	case "json":
		if rows == nil {
			rows = []HistoryRow{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "text", "":
		return writeHistoryText(w, rows)
	}
	return fmt.Errorf("unknown history format %q", format)
}

func writeHistoryText(w io.Writer, rows []HistoryRow) error {
	if len(rows) == 0 {
		_, err := io.WriteString(w, "No occurrences known.\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ORIGINAL START\tSTART\tSTATE\tSHIFT\tSERIES\tTITLE\tMADE UP BY")
	for _, r := range rows {
		shift, madeUp := "-", "-"
		if r.ShiftMinutes != 0 {
			shift = shiftText(r.ShiftMinutes)
		}
		if r.MadeUpBy != "" {
			madeUp = clean(r.MadeUpBy)
		}
		state := string(r.State)
		if r.Vanished {
			state += " (vanished)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.OriginalStart.Format("Mon 2006-01-02 15:04"), r.Start.Format("Mon 2006-01-02 15:04"),
			state, shift, clean(r.SeriesID), truncate(clean(r.Title), maxTitle), madeUp)
	}
	return tw.Flush()
}
