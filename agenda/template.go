package agenda

import (
	"bytes"
	_ "embed"
	"strings"
	"text/template"

	"oneonone/calendar"
)

//go:embed template.md
var docTemplateText string

// docTemplate is the agenda document that "oneonone agenda init" writes.
var docTemplate = template.Must(template.New("agenda document").Parse(docTemplateText))

// NewDoc returns a new agenda document of the pair of me (the user's
// address) and with (the counterpart's), both plain addresses (IsEmail):
// a title with the two of them, the suggested flow with its time boxes, a
// "Talking points" section (PointsHeading) and an "Actions" one, empty.
func NewDoc(me, with string) []byte {
	me, with = calendar.NormalizeEmail(me), calendar.NormalizeEmail(with)
	withName, _, _ := strings.Cut(with, "@")
	var b bytes.Buffer
	// The template is fixed and its data are strings: Execute cannot fail.
	_ = docTemplate.Execute(&b, struct{ Me, With, WithName string }{me, with, withName})
	return b.Bytes()
}
