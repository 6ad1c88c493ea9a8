package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// scripts, readable on a phone and printable. Skipped, postponed and
// declined occurrences and overdue pairs stand out; all text is escaped.
func (r *Report) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, r.view()); err != nil {
		return fmt.Errorf("render report html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
