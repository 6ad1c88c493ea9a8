package agenda_test

import (
	"errors"
	"testing"

	"oneonone/agenda"
	"oneonone/internal/agendatest"
)

// TestRefusals: the shared table the callers test against is what
// NewAction itself refuses, each case naming its field.
func TestRefusals(t *testing.T) {
	for _, tt := range agendatest.Refusals {
		_, err := agenda.NewAction(agenda.ActionInput{Me: agendatest.Me, With: tt.With, Owner: tt.Owner, Text: tt.Text, Due: tt.Due})
		var fe *agenda.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.Field {
			t.Errorf("%s: error %v, want a FieldError of %q", tt.Name, err, tt.Field)
		}
	}
}
