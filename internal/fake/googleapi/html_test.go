package googleapi_test

import (
	"testing"

	"oneonone/internal/fake/googleapi"
)

func TestRewriteHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "hello", "hello"},
		{"newlines", "a\nb\r\nc", "a<br>b<br>c"},
		{"br spellings", "a<br/>b<br />c<BR>d</br>", "a<br>b<br>c<br>d<br>"},
		{"bare url", "see https://x.example/a?b=1&c=2.", `see <a href="https://x.example/a?b=1&c=2">https://x.example/a?b=1&c=2</a>.`},
		{"url in parentheses", "(http://x.example/p)", `(<a href="http://x.example/p">http://x.example/p</a>)`},
		{"linked url stays", `<a href="https://x">https://x</a>`, `<a href="https://x">https://x</a>`},
		{"single quotes", `<a href='https://x' target=_blank>go</a>`, `<a href="https://x" target="_blank">go</a>`},
		{"quote inside single quotes", `<span title='say "hi"'>x</span>`, `<span title="say &quot;hi&quot;">x</span>`},
		{"other tags kept", "<b>bold</b> <i>it</i>", "<b>bold</b> <i>it</i>"},
		{"less-than in text", "a < b > c", "a < b > c"},
		{"not a scheme", "xhttp://y and http:// alone", "xhttp://y and http:// alone"},
		{
			"agenda block",
			"Notes\n\n-- oneonone agenda --\nAgenda: https://docs.example.com/d/abc\n- [ ] bob: send deck (since 2026-11-10)\n-- end oneonone agenda --",
			`Notes<br><br>-- oneonone agenda --<br>Agenda: <a href="https://docs.example.com/d/abc">https://docs.example.com/d/abc</a><br>- [ ] bob: send deck (since 2026-11-10)<br>-- end oneonone agenda --`,
		},
		{"unclosed tag is text", "x <y https://z", `x <y <a href="https://z">https://z</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := googleapi.RewriteHTML(tt.in)
			if got != tt.want {
				t.Errorf("RewriteHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := googleapi.RewriteHTML(got); again != got {
				t.Errorf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

func FuzzRewriteHTML(f *testing.F) {
	for _, s := range []string{
		"a\nb", "<br/>", `<a href='x'>http://y</a> http://z.`, "x <y http://z >", "<!-- c --> <p class=a>t</p>",
		"</ a>", `<img src=x/>`, "<a title=\"x>y\">q</a>", "http://a<b>c</b>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := googleapi.RewriteHTML(s)
		if twice := googleapi.RewriteHTML(once); twice != once {
			t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q", s, once, twice)
		}
	})
}
