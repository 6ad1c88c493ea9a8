package web_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"oneonone/sync"
	"oneonone/web"
)

// TestSyncSummaryRoundTrip: a sync.Summary that the daemon says in
// POST /api/sync reads back, on the command line, as it was, every count
// of it and of its Blocks (so a field added to sync.Blocks cannot be
// forgotten on one side).
func TestSyncSummaryRoundTrip(t *testing.T) {
	in := sync.Summary{Source: "work", Calendars: 1, Objects: 2, Changed: 3, Series: 4, Requests: 5,
		Problems: []error{errors.New("a"), errors.New("b")}, DryRun: true, Err: errors.New("list calendars: 503")}
	b := reflect.ValueOf(&in.Blocks).Elem()
	for i := range b.NumField() {
		b.Field(i).SetInt(int64(10 + i))
	}
	data, err := json.Marshal(web.SyncSummaryOf(in))
	if err != nil {
		t.Fatal(err)
	}
	var ss web.SyncSummary
	if err := json.Unmarshal(data, &ss); err != nil {
		t.Fatal(err)
	}
	out := ss.Summary(true)
	if out.Blocks != in.Blocks {
		t.Errorf("blocks %+v, want %+v (%s)", out.Blocks, in.Blocks, data)
	}
	if out.String() != in.String() || len(out.Problems) != 2 || out.Err == nil || out.Err.Error() != in.Err.Error() || out.DryRun != in.DryRun {
		t.Errorf("read back %+v, want %+v (%s)", out, in, data)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	blocks, _ := fields["blocks"].(map[string]any)
	if len(blocks) != b.NumField() {
		t.Errorf("blocks has %d fields in JSON, sync.Blocks %d: %s", len(blocks), b.NumField(), data)
	}
}
