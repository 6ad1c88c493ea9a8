package agenda

import (
	"reflect"
	"testing"

	"oneonone/calendar"
)

func TestParseDoc(t *testing.T) {
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	doc := "# Anna / Bob 1:1\r\n\n" +
		"## 2026-11-17\n" +
		"- talked about the roadmap\n" +
		"- [ ] bob@example.com: send the draft\n" +
		"- [x] @anna: book the offsite\n" +
		"  * [ ] @bob: read the RFC ☕\n" +
		"1. [X] done numbered\n" +
		"- [ ] @carol: not one of the pair\n" +
		"- [ ]\n" +
		"- [] not a task\n" +
		"```\n- [ ] inside a fence\n```\n" +
		"- [ ] plain item with no owner\n"
	got := ParseDoc([]byte(doc), pair)
	want := []DocItem{
		{Owner: "bob@example.com", Text: "send the draft"},
		{Owner: "anna@example.com", Text: "book the offsite", Done: true},
		{Owner: "bob@example.com", Text: "read the RFC ☕"},
		{Text: "done numbered", Done: true},
		{Text: "@carol: not one of the pair"},
		{Text: "plain item with no owner"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDoc =\n%+v\nwant\n%+v", got, want)
	}
}

func FuzzParseDoc(f *testing.F) {
	f.Add([]byte("- [ ] bob@example.com: x\n- [x] y\n"))
	f.Add([]byte("```\n- [ ] z\n"))
	pair := calendar.NewPair("a@x", "b@x")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, it := range ParseDoc(data, pair) {
			if it.Text == "" {
				t.Fatal("empty item text")
			}
		}
	})
}
